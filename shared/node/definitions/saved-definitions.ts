/** Loads the saved definitions a crew or flow refers to, for the compiler. */
import type { EntityManager } from '@mikro-orm/core';
import type { AgentSpec } from '../../schemas/agent.schema';
import type { CrewSpec } from '../../schemas/crew.schema';
import type { FlowSpec } from '../../schemas/flow.schema';
import type { TaskSpec } from '../../schemas/task.schema';
import { AgentEntity, CrewEntity, TaskEntity } from '../db/entities';

export async function savedDefinitions(em: EntityManager, groupId: string, crews: CrewSpec[]) {
  const agentIds = crews.flatMap((crew) =>
    crew.agents.filter((entry) => typeof entry === 'string'),
  );
  const taskIds = crews.flatMap((crew) => crew.tasks.filter((entry) => typeof entry === 'string'));
  const [agents, tasks] = await Promise.all([
    agentIds.length ? em.find(AgentEntity, { groupId, id: { $in: agentIds } }) : [],
    taskIds.length ? em.find(TaskEntity, { groupId, id: { $in: taskIds } }) : [],
  ]);
  return {
    agents: new Map(agents.map((row) => [row.id, row.spec as unknown as AgentSpec])),
    tasks: new Map(tasks.map((row) => [row.id, row.spec as unknown as TaskSpec])),
  };
}

/** The saved crews a flow's steps name, with the agents and tasks those crews reference. */
export async function savedFlowDefinitions(em: EntityManager, groupId: string, flow: FlowSpec) {
  const crewIds = flow.steps.flatMap((step) => (step.crew_id === undefined ? [] : [step.crew_id]));
  const rows = crewIds.length ? await em.find(CrewEntity, { groupId, id: { $in: crewIds } }) : [];
  const crews = new Map(rows.map((row) => [row.id, row.spec as unknown as CrewSpec]));
  const inline = flow.steps.flatMap((step) => (step.crew === undefined ? [] : [step.crew]));
  return { crews, ...(await savedDefinitions(em, groupId, [...crews.values(), ...inline])) };
}
