/**
 * The group's saved crews as an MCP client sees them: who is in each, what it does, and which
 * `{placeholder}` inputs it needs. Also finds one crew by id or by name for `run_crew`.
 */
import type { EntityManager } from '@mikro-orm/core';
import { placeholdersIn } from '../../shared/compiler/interpolate';
import type { AgentSpec } from '../../shared/schemas/agent.schema';
import type { CrewSpec } from '../../shared/schemas/crew.schema';
import type { TaskSpec } from '../../shared/schemas/task.schema';
import { API_ERROR_CODES } from '../../shared/errors';
import { CrewEntity, type DefinitionRow } from '../../shared/node/db/entities';
import { containsIgnoringCase } from '../../shared/node/db/filters';
import { ApiError } from '../http/errors';
import { CREWS, DefinitionsService } from '../services/definitions.service';
import { savedDefinitions } from '../../shared/node/definitions/saved-definitions';

const crews = new DefinitionsService(CREWS);

/** Long texts are cut in listings, so a catalogue of many crews stays readable for a model. */
const SUMMARY_CHARS = 300;

export interface CrewInput {
  name: string;
  /** False when the crew's own `inputs` give it a default. */
  required: boolean;
  default?: unknown;
}

export interface CrewSummary {
  id: string;
  name: string;
  description: string | null;
  process: string;
  agents: { role: string; goal: string }[];
  tasks: { name: string | null; description: string; agent: string | null }[];
  inputs: CrewInput[];
  updated_at: string;
}

export async function listCrews(
  em: EntityManager,
  groupId: string,
  options: { query?: string | undefined; limit: number },
): Promise<{ crews: CrewSummary[]; total: number }> {
  const page = await crews.list(em, groupId, { limit: options.limit, offset: 0, q: options.query });
  const saved = await savedDefinitions(em, groupId, page.items);
  return {
    total: page.total,
    crews: page.items.map((crew) => summarize(crew, saved)),
  };
}

function summarize(
  crew: CrewSpec & { id: string; updated_at: string },
  saved: { agents: ReadonlyMap<string, AgentSpec>; tasks: ReadonlyMap<string, TaskSpec> },
): CrewSummary {
  // A saved agent or task that cannot be found is left out here; running says which one.
  const agents = crew.agents.flatMap((entry) => {
    const agent = typeof entry === 'string' ? saved.agents.get(entry) : entry;
    return agent ? [agent] : [];
  });
  const tasks = crew.tasks.flatMap((entry) => {
    const task = typeof entry === 'string' ? saved.tasks.get(entry) : entry;
    return task ? [task] : [];
  });
  const texts = [
    ...agents.flatMap((agent) => [agent.role, agent.goal, agent.backstory]),
    ...tasks.flatMap((task) => [task.description, task.expected_output]),
  ];
  const names = [...new Set(texts.flatMap((text) => placeholdersIn(text)))];
  const agentRole = (key: string | undefined) => {
    if (key === undefined) return null;
    const inline = crew.agents.find((entry) => typeof entry !== 'string' && entry.id === key);
    const agent = inline ?? saved.agents.get(key);
    return typeof agent === 'object' ? agent.role : key;
  };
  return {
    id: crew.id,
    name: crew.name,
    description: crew.description ? cut(crew.description) : null,
    process: crew.process,
    agents: agents.map((agent) => ({ role: cut(agent.role), goal: cut(agent.goal) })),
    tasks: tasks.map((task) => ({
      name: task.name ?? null,
      description: cut(task.description),
      agent: agentRole(task.agent),
    })),
    inputs: names.map((name) => {
      const fallback = crew.inputs[name];
      return fallback === undefined || fallback === null
        ? { name, required: true }
        : { name, required: false, default: fallback };
    }),
    updated_at: crew.updated_at,
  };
}

/** The saved crew named by id or by (case-insensitive, exact) name, in this group only. */
export async function findCrew(
  em: EntityManager,
  groupId: string,
  by: { id?: string | undefined; name?: string | undefined },
): Promise<DefinitionRow> {
  const hint = 'list_crews shows the crews you can run';
  if (by.id !== undefined) {
    const row = await em.findOne(CrewEntity, { id: by.id, groupId });
    if (!row) throw notFoundInGroup(`Crew '${by.id}' not found in this group; ${hint}`);
    return row;
  }
  const name = (by.name ?? '').trim();
  const candidates = await em.find(CrewEntity, { groupId, ...containsIgnoringCase('name', name) });
  const matches = candidates.filter((row) => row.name?.toLowerCase() === name.toLowerCase());
  if (matches.length === 0) throw notFoundInGroup(`No crew named '${name}' in this group; ${hint}`);
  if (matches.length > 1) {
    throw new ApiError(
      409,
      API_ERROR_CODES.conflict,
      `${matches.length} crews are named '${name}'; pass crew_id instead (${matches
        .map((row) => row.id)
        .join(', ')})`,
    );
  }
  return matches[0] as DefinitionRow;
}

const notFoundInGroup = (message: string) => new ApiError(404, API_ERROR_CODES.notFound, message);

function cut(text: string): string {
  return text.length > SUMMARY_CHARS ? `${text.slice(0, SUMMARY_CHARS - 1)}…` : text;
}
