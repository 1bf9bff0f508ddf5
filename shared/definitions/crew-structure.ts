/**
 * Structural checks of a crew whose saved references have been resolved: unique keys, known
 * agents, known and acyclic task context. Pure, so the API and the compiler share it.
 */
import type { FieldIssue } from '../errors';
import { findCycle } from './graph';
import type { CrewProcess } from '../schemas/crew.schema';

export interface ResolvedCrewAgent {
  /** The key tasks use: the inline `id`, or the saved agent's id. */
  key: string;
  /** Where the entry sits in the request, for error paths: `agents[0]`. */
  path: string;
}

export interface ResolvedCrewTask {
  key: string;
  path: string;
  agent?: string | undefined;
  context: readonly string[];
}

export function checkCrewStructure(
  process: CrewProcess,
  agents: readonly ResolvedCrewAgent[],
  tasks: readonly ResolvedCrewTask[],
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const agentKeys = uniqueKeys(agents, 'agent', issues);
  const taskKeys = uniqueKeys(tasks, 'task', issues);
  const position = new Map(tasks.map((task, index) => [task.key, index]));

  tasks.forEach((task, index) => {
    if (task.agent === undefined) {
      if (process === 'sequential') {
        issues.push({
          path: `${task.path}.agent`,
          message: 'required when process is "sequential"',
        });
      }
    } else if (!agentKeys.has(task.agent)) {
      issues.push({
        path: `${task.path}.agent`,
        message: `unknown agent '${task.agent}': not among the crew's agents`,
      });
    }
    task.context.forEach((dependency, contextIndex) => {
      const path = `${task.path}.context[${contextIndex}]`;
      const at = position.get(dependency);
      if (!taskKeys.has(dependency) || at === undefined) {
        issues.push({ path, message: `unknown task '${dependency}': not among the crew's tasks` });
      } else if (at === index) {
        issues.push({ path, message: `task '${dependency}' cannot use its own output` });
      }
    });
  });

  const cycle = findContextCycle(tasks);
  if (cycle) {
    const first = tasks.find((task) => task.key === cycle[0]);
    issues.push({
      path: `${first?.path ?? 'tasks'}.context`,
      message: `context cycle: ${cycle.join(' → ')}`,
    });
  } else {
    tasks.forEach((task, index) => {
      task.context.forEach((dependency, contextIndex) => {
        const at = position.get(dependency);
        if (at !== undefined && at > index) {
          issues.push({
            path: `${task.path}.context[${contextIndex}]`,
            message: `task '${dependency}' is listed after '${task.key}'; a task can only use the output of tasks listed before it`,
          });
        }
      });
    });
  }
  return issues;
}

function uniqueKeys(
  entries: readonly { key: string; path: string }[],
  kind: string,
  issues: FieldIssue[],
): Set<string> {
  const keys = new Set<string>();
  for (const entry of entries) {
    if (keys.has(entry.key)) {
      issues.push({ path: entry.path, message: `duplicate ${kind} id '${entry.key}'` });
    }
    keys.add(entry.key);
  }
  return keys;
}

/**
 * Returns one cycle in the context graph as a closed path of task keys, or undefined. A task
 * naming itself is reported on its own, so it is left out here.
 */
export function findContextCycle(tasks: readonly ResolvedCrewTask[]): string[] | undefined {
  return findCycle(
    new Map(tasks.map((task) => [task.key, task.context.filter((key) => key !== task.key)])),
  );
}
