/**
 * Kasal's execution request shape: `agents_yaml` / `tasks_yaml` keyed by name, as Kasal's UI
 * sends them. Turned into a crew with inline agents and tasks; fields this platform does not
 * know are reported back, not silently dropped.
 */
import { AgentSpecSchema } from '../schemas/agent.schema';
import { TaskFieldsSchema } from '../schemas/task.schema';

export interface KasalCrewRequest {
  agents_yaml: Record<string, unknown>;
  tasks_yaml: Record<string, unknown>;
  name?: string | undefined;
  process?: string | undefined;
  manager_llm?: string | undefined;
  planning?: boolean | undefined;
  planning_llm?: string | undefined;
  max_rpm?: number | undefined;
}

const AGENT_FIELDS = new Set(Object.keys(AgentSpecSchema.shape));
const TASK_FIELDS = new Set(Object.keys(TaskFieldsSchema.shape));

export function crewFromKasalYaml(request: KasalCrewRequest): {
  crew: Record<string, unknown>;
  ignored: string[];
} {
  const ignored: string[] = [];
  const pick = (
    section: 'agents_yaml' | 'tasks_yaml',
    known: ReadonlySet<string>,
    name: string,
    value: unknown,
  ) => {
    const entry =
      typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    const kept: Record<string, unknown> = { id: name };
    for (const [field, fieldValue] of Object.entries(entry)) {
      if (fieldValue === null || fieldValue === undefined) continue;
      if (known.has(field)) kept[field] = fieldValue;
      else ignored.push(`${section}.${name}.${field}`);
    }
    return kept;
  };
  return {
    crew: {
      name: request.name ?? 'Kasal crew',
      ...(request.process !== undefined && { process: request.process }),
      ...(request.manager_llm !== undefined && { manager_llm: request.manager_llm }),
      ...(request.planning !== undefined && { planning: request.planning }),
      ...(request.planning_llm !== undefined && { planning_llm: request.planning_llm }),
      ...(request.max_rpm !== undefined && { max_rpm: request.max_rpm }),
      agents: Object.entries(request.agents_yaml).map(([name, value]) =>
        pick('agents_yaml', AGENT_FIELDS, name, value),
      ),
      tasks: Object.entries(request.tasks_yaml).map(([name, value]) =>
        pick('tasks_yaml', TASK_FIELDS, name, value),
      ),
    },
    ignored,
  };
}

/** Maps `agents[1].goal` back to `agents_yaml.<name>.goal` for error messages. */
export function kasalPath(path: string, request: KasalCrewRequest): string {
  return path.replace(/^(agents|tasks)\[(\d+)\]/, (whole, section: string, index: string) => {
    const names = Object.keys(section === 'agents' ? request.agents_yaml : request.tasks_yaml);
    const name = names[Number(index)];
    return name === undefined ? whole : `${section}_yaml.${name}`;
  });
}
