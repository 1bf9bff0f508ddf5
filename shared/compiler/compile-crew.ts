/**
 * Compiles a crew definition into a CrewPlan: saved agents and tasks are expanded, inputs are
 * interpolated, tools are pinned, models are resolved to settings. Pure and deterministic, so
 * the API can compile before starting and tests can compile without a database.
 */
import { checkCrewStructure } from '../definitions/crew-structure';
import type { FieldIssue } from '../errors';
import {
  CREW_PLAN_VERSION,
  type AgentPlan,
  type CrewPlan,
  type ModelSettings,
  type TaskPlan,
} from '../plan/crew-plan';
import type { AgentSpec } from '../schemas/agent.schema';
import type { CrewSpec } from '../schemas/crew.schema';
import type { TaskSpec } from '../schemas/task.schema';
import { interpolate } from './interpolate';
import {
  checkToolConfigs,
  MCP_SERVERS_KEY,
  mcpToolOptions,
  resolveMcpServers,
  resolveTools,
  type GroupToolset,
  type ToolConfigs,
} from './tool-resolution';

export interface CompileOptions {
  /** Inputs of this execution; they override the crew's own `inputs` defaults. */
  inputs: Record<string, unknown>;
  /** The group's tools: enabled built-ins with their settings, and its MCP servers. */
  toolset: GroupToolset;
  /** The group's model configs by name: an agent's `llm` that names one uses it. */
  modelConfigs: ReadonlyMap<string, { id: string; model: string }>;
  /** The model for agents that name none. */
  defaultModel: string;
  crewId?: string;
}

export interface SavedDefinitions {
  agents: ReadonlyMap<string, AgentSpec>;
  tasks: ReadonlyMap<string, TaskSpec>;
}

export type CompileResult = { ok: true; plan: CrewPlan } | { ok: false; issues: FieldIssue[] };

interface Entry<Spec> {
  key: string;
  path: string;
  spec: Spec;
}

const MANAGER_KEY = 'crew_manager';

export function compileCrew(
  crew: CrewSpec,
  saved: SavedDefinitions,
  options: CompileOptions,
): CompileResult {
  const issues: FieldIssue[] = [];
  const agents = expand(crew.agents, 'agents', 'agent', saved.agents, issues);
  const tasks = expand(crew.tasks, 'tasks', 'task', saved.tasks, issues);
  issues.push(
    ...checkCrewStructure(
      crew.process,
      agents.map(({ key, path }) => ({ key, path })),
      tasks.map(({ key, path, spec }) => ({ key, path, agent: spec.agent, context: spec.context })),
    ),
  );

  const inputs = { ...crew.inputs, ...options.inputs };
  const text = (value: string, path: string) => {
    const result = interpolate(value, inputs);
    for (const name of result.missing) {
      issues.push({ path, message: `missing input '${name}' (pass it in "inputs")` });
    }
    return result.text;
  };
  const agentSpecs = new Map(agents.map(({ key, spec }) => [key, spec]));
  for (const { path, spec } of agents) {
    checkToolConfigs(spec.tool_configs, `${path}.tool_configs`, issues);
  }
  for (const { path, spec } of tasks) {
    const agent = spec.agent === undefined ? undefined : agentSpecs.get(spec.agent);
    const mcp = [spec.tool_configs, agent?.tool_configs ?? {}].some(
      (configs) => configs[MCP_SERVERS_KEY] !== undefined,
    );
    checkToolConfigs(spec.tool_configs, `${path}.tool_configs`, issues, mcp);
  }
  const model = (
    name: string | undefined,
    extra: Omit<ModelSettings, 'model'> = {},
  ): ModelSettings => {
    const config = name === undefined ? undefined : options.modelConfigs.get(name);
    return {
      model: config?.model ?? name ?? options.defaultModel,
      ...(config && { config_id: config.id }),
      ...extra,
    };
  };

  const agentPlans: AgentPlan[] = agents.map(({ key, path, spec }) => ({
    key,
    role: text(spec.role, `${path}.role`),
    goal: text(spec.goal, `${path}.goal`),
    backstory: text(spec.backstory, `${path}.backstory`),
    llm: model(spec.llm, {
      ...(spec.temperature !== undefined && { temperature: spec.temperature }),
      ...(spec.max_tokens !== undefined && { max_tokens: spec.max_tokens }),
    }),
    ...agentTools(spec, path, options.toolset, issues),
    max_iter: spec.max_iter,
    ...(!spec.respect_context_window && { respect_context_window: false }),
    ...(spec.max_rpm !== undefined && { max_rpm: spec.max_rpm }),
    ...(spec.max_execution_time !== undefined && { max_execution_time: spec.max_execution_time }),
    allow_delegation: spec.allow_delegation,
  }));

  const taskPlans: TaskPlan[] = tasks.map(({ key, path, spec }) => ({
    key,
    ...(spec.name !== undefined && { name: spec.name }),
    description: text(spec.description, `${path}.description`),
    expected_output: text(spec.expected_output, `${path}.expected_output`),
    ...(spec.agent !== undefined && { agent: spec.agent }),
    // By default a task receives the previous task's output, as in CrewAI.
    context: spec.context.length > 0 ? [...spec.context] : defaultContext(tasks, key),
    async_execution: spec.async_execution,
    ...taskTools(
      spec,
      path,
      spec.agent === undefined ? undefined : agentSpecs.get(spec.agent),
      options.toolset,
      issues,
    ),
    ...(spec.output_json !== undefined && { output_json: spec.output_json }),
    ...(spec.guardrail !== undefined && { guardrail: spec.guardrail }),
    guardrail_max_retries: spec.guardrail_max_retries,
    markdown: spec.markdown,
    ...(spec.human_input && { human_input: true }),
  }));

  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    plan: {
      version: CREW_PLAN_VERSION,
      kind: 'crew',
      name: crew.name,
      ...(options.crewId !== undefined && { crew_id: options.crewId }),
      process: crew.process,
      agents: agentPlans,
      tasks: taskPlans,
      ...(crew.process === 'hierarchical' && { manager: managerPlan(model(crew.manager_llm)) }),
      ...(crew.planning && { planning: { llm: model(crew.planning_llm) } }),
      ...(crew.max_rpm !== undefined && { max_rpm: crew.max_rpm }),
      inputs,
    },
  };
}

/** An agent's tools: its built-ins with its `tool_configs`, and its MCP servers. */
function agentTools(
  spec: AgentSpec,
  path: string,
  toolset: GroupToolset,
  issues: FieldIssue[],
): Pick<AgentPlan, 'tools' | 'mcp_servers' | 'mcp_tool_options'> {
  const layer = { configs: spec.tool_configs, path: `${path}.tool_configs` };
  const mcp = resolveMcpServers(spec.tool_configs, layer.path, toolset, issues);
  return {
    tools: resolveTools(spec.tools, [layer], toolset, `${path}.tools`, issues),
    ...(mcp.length > 0 && { mcp_servers: mcp, ...mcpToolOptions(spec.tool_configs) }),
  };
}

/**
 * A task's own tools (and MCP servers) replace its agent's. A task that names none but sets
 * `tool_configs` gets its agent's tools with those settings on top.
 */
function taskTools(
  spec: TaskSpec,
  path: string,
  agent: AgentSpec | undefined,
  toolset: GroupToolset,
  issues: FieldIssue[],
): Pick<TaskPlan, 'tools' | 'mcp_servers' | 'mcp_tool_options' | 'own_tools'> {
  const layer = { configs: spec.tool_configs, path: `${path}.tool_configs` };
  const layers = [
    ...(agent ? [{ configs: agent.tool_configs, path: `${path}.agent.tool_configs` }] : []),
    layer,
  ];
  // The agent's own tools and servers are checked with the agent: `found` collects only ours.
  const planned = (names: readonly string[], mcpConfigs: ToolConfigs, found: FieldIssue[]) => {
    const mcp = resolveMcpServers(mcpConfigs, layer.path, toolset, found);
    return {
      tools: resolveTools(names, layers, toolset, `${path}.tools`, found),
      ...(mcp.length > 0 && {
        mcp_servers: mcp,
        ...mcpToolOptions(...layers.map((each) => each.configs)),
      }),
      own_tools: true,
    };
  };
  if (spec.tools.length > 0 || spec.tool_configs[MCP_SERVERS_KEY] !== undefined) {
    return planned(spec.tools, spec.tool_configs, issues);
  }
  if (Object.keys(spec.tool_configs).length === 0) return { tools: [] };
  if (agent === undefined) {
    issues.push({
      path: layer.path,
      message: 'a task without an agent has no tools for these settings: list them in "tools"',
    });
    return { tools: [] };
  }
  return planned(agent.tools, agent.tool_configs, []);
}

function expand<Spec>(
  entries: readonly (string | (Spec & { id: string }))[],
  field: string,
  noun: string,
  saved: ReadonlyMap<string, Spec>,
  issues: FieldIssue[],
): Entry<Spec>[] {
  return entries.flatMap((entry, index) => {
    const path = `${field}[${index}]`;
    if (typeof entry !== 'string') return [{ key: entry.id, path, spec: entry }];
    const spec = saved.get(entry);
    if (!spec) {
      issues.push({ path, message: `${noun} '${entry}' not found in this group` });
      return [];
    }
    return [{ key: entry, path, spec }];
  });
}

/** As in CrewAI: the output of the latest synchronous task listed before this one. */
function defaultContext(tasks: readonly Entry<TaskSpec>[], key: string): string[] {
  const index = tasks.findIndex((task) => task.key === key);
  const previous = tasks
    .slice(0, Math.max(index, 0))
    .findLast((task) => !task.spec.async_execution);
  return previous ? [previous.key] : [];
}

function managerPlan(llm: ModelSettings): AgentPlan {
  return {
    key: MANAGER_KEY,
    role: 'Crew Manager',
    goal: 'Manage the team to complete each task to the highest standard, by delegating work to the right coworker and checking what comes back.',
    backstory:
      'You are a seasoned manager who knows the strengths of every coworker. You plan the work, delegate each part with all the context it needs, ask questions when something is unclear, and combine the results into a final answer.',
    llm,
    tools: [],
    max_iter: 25,
    allow_delegation: true,
  };
}
