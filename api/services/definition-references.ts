/**
 * Reference checks for saved definitions: every id a definition names must be a saved
 * definition of the same group, and a crew's agents and tasks must fit together.
 */
import type { EntityManager } from '@mikro-orm/core';
import {
  checkCrewStructure,
  type ResolvedCrewAgent,
  type ResolvedCrewTask,
} from '../../shared/definitions/crew-structure';
import type { FieldIssue } from '../../shared/errors';
import { isUuid } from '../../shared/schemas/common.schema';
import type { CrewSpec } from '../../shared/schemas/crew.schema';
import type { TaskSpec } from '../../shared/schemas/task.schema';
import {
  AgentEntity,
  TaskEntity,
  type DefinitionEntity,
  type DefinitionRow,
} from '../../shared/node/db/entities';

async function existingIds(
  em: EntityManager,
  entity: DefinitionEntity,
  groupId: string,
  ids: string[],
): Promise<Set<string>> {
  const wanted = [...new Set(ids.filter(isUuid))];
  if (wanted.length === 0) return new Set();
  const rows = await em.find(entity, { groupId, id: { $in: wanted } }, { fields: ['id'] });
  return new Set(rows.map((row) => row.id));
}

export async function checkTaskReferences(
  em: EntityManager,
  groupId: string,
  spec: TaskSpec,
  selfId?: string,
): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  if (spec.agent !== undefined) {
    const agents = await existingIds(em, AgentEntity, groupId, [spec.agent]);
    if (!agents.has(spec.agent)) {
      issues.push({ path: 'agent', message: `agent '${spec.agent}' not found in this group` });
    }
  }
  const tasks = await existingIds(em, TaskEntity, groupId, spec.context);
  spec.context.forEach((id, index) => {
    if (id === selfId) {
      issues.push({ path: `context[${index}]`, message: 'a task cannot use its own output' });
    } else if (!tasks.has(id)) {
      issues.push({ path: `context[${index}]`, message: `task '${id}' not found in this group` });
    }
  });
  return issues;
}

export async function checkCrewReferences(
  em: EntityManager,
  groupId: string,
  spec: CrewSpec,
): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  const savedAgentIds = spec.agents.filter((entry) => typeof entry === 'string');
  const savedTaskIds = spec.tasks.filter((entry) => typeof entry === 'string');
  const agentsFound = await existingIds(em, AgentEntity, groupId, savedAgentIds);
  const taskRows = new Map<string, DefinitionRow>(
    savedTaskIds.length
      ? (await em.find(TaskEntity, { groupId, id: { $in: [...new Set(savedTaskIds)] } })).map(
          (row) => [row.id, row],
        )
      : [],
  );

  const agents: ResolvedCrewAgent[] = spec.agents.flatMap((entry, index) => {
    const path = `agents[${index}]`;
    if (typeof entry !== 'string') return [{ key: entry.id, path: `${path}.id` }];
    if (agentsFound.has(entry)) return [{ key: entry, path }];
    issues.push({ path, message: `agent '${entry}' not found in this group` });
    return [];
  });

  const tasks: ResolvedCrewTask[] = spec.tasks.flatMap((entry, index) => {
    const path = `tasks[${index}]`;
    if (typeof entry !== 'string') {
      return [{ key: entry.id, path, agent: entry.agent, context: entry.context }];
    }
    const row = taskRows.get(entry);
    if (row) {
      const saved = row.spec as TaskSpec;
      return [{ key: entry, path, agent: saved.agent, context: saved.context }];
    }
    issues.push({ path, message: `task '${entry}' not found in this group` });
    return [];
  });

  return [...issues, ...checkCrewStructure(spec.process, agents, tasks)];
}
