import { compileCrew } from '../../shared/compiler/compile-crew';
import { crewFromKasalYaml, kasalPath } from '../../shared/compiler/kasal-yaml';
import { interpolate } from '../../shared/compiler/interpolate';
import { CrewSpecSchema } from '../../shared/schemas/crew.schema';
import type { GroupToolset } from '../../shared/compiler/tool-resolution';

/** A group that changed no tool settings and has no MCP servers. */
const toolset: GroupToolset = { builtins: new Map(), mcpServers: new Map() };
const options = { inputs: {}, toolset, modelConfigs: new Map(), defaultModel: 'default-model' };
const crew = (overrides: Record<string, unknown> = {}) =>
  CrewSpecSchema.parse({
    name: 'C',
    agents: [
      { id: 'a', role: 'Analyst of {topic}', goal: 'Goal', llm: 'team', tools: ['fetch_url'] },
    ],
    tasks: [
      {
        id: 't1',
        description: 'About {topic}',
        expected_output: 'E',
        agent: 'a',
        async_execution: true,
      },
      { id: 't2', description: 'D', expected_output: 'E', agent: 'a' },
      { id: 't3', description: 'D', expected_output: 'E', agent: 'a' },
    ],
    ...overrides,
  });
const saved = { agents: new Map(), tasks: new Map() };

describe('interpolate', () => {
  it('replaces {identifiers} only, leaving JSON braces alone', () => {
    expect(interpolate('Hi {name}: {"a": 1} {n}', { name: 'Ada', n: 3 })).toEqual({
      text: 'Hi Ada: {"a": 1} 3',
      missing: [],
    });
    expect(interpolate('{x} and {y}', { x: 1 }).missing).toEqual(['y']);
  });
});

describe('compileCrew', () => {
  it('pins toolset, resolves models, interpolates inputs and sets CrewAI default context', () => {
    const result = compileCrew(crew({ inputs: { topic: 'default' } }), saved, {
      ...options,
      inputs: { topic: 'Temporal' },
      modelConfigs: new Map([['team', { id: 'cfg-1', model: 'served-model' }]]),
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const { plan } = result;
    expect(plan).toMatchObject({
      version: 1,
      kind: 'crew',
      process: 'sequential',
      inputs: { topic: 'Temporal' },
    });
    expect(plan.agents[0]).toMatchObject({
      role: 'Analyst of Temporal',
      llm: { model: 'served-model', config_id: 'cfg-1' },
    });
    expect(plan.agents[0]!.tools.map((tool) => tool.name)).toEqual(['fetch_url']);
    expect(plan.tasks[0]!.description).toBe('About Temporal');
    // t2 follows an async task (no implicit context); t3 gets t2's output.
    expect(plan.tasks.map((task) => task.context)).toEqual([[], [], ['t2']]);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('adds a manager for hierarchical crews and a planner when planning is on', () => {
    const result = compileCrew(
      crew({ process: 'hierarchical', manager_llm: 'boss', planning: true }),
      saved,
      { ...options, inputs: { topic: 'x' } },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.plan.manager).toMatchObject({
      role: 'Crew Manager',
      llm: { model: 'boss' },
      allow_delegation: true,
    });
    expect(result.plan.planning).toEqual({ llm: { model: 'default-model' } });
  });

  it('reports every missing input and unknown tool with its field', () => {
    const result = compileCrew(
      crew({ agents: [{ id: 'a', role: '{who}', goal: 'G', tools: ['nope'] }] }),
      saved,
      options,
    );
    expect(result).toEqual({
      ok: false,
      issues: expect.arrayContaining([
        { path: 'agents[0].role', message: 'missing input \'who\' (pass it in "inputs")' },
        { path: 'agents[0].tools[0]', message: "unknown tool 'nope'" },
        { path: 'tasks[0].description', message: 'missing input \'topic\' (pass it in "inputs")' },
      ]),
    });
  });
});

describe("Kasal's agents_yaml/tasks_yaml", () => {
  it('becomes an inline crew and maps error paths back', () => {
    const request = {
      agents_yaml: { writer: { role: 'W', goal: 'G', memory_config: {} } },
      tasks_yaml: {
        draft: { description: 'D', expected_output: 'E', agent: 'writer', callback: 'x' },
      },
    };
    const { crew: converted, ignored } = crewFromKasalYaml(request);
    expect(CrewSpecSchema.parse(converted).tasks[0]).toMatchObject({
      id: 'draft',
      agent: 'writer',
    });
    expect(ignored).toEqual(['agents_yaml.writer.memory_config', 'tasks_yaml.draft.callback']);
    expect(kasalPath('tasks[0].agent', request)).toBe('tasks_yaml.draft.agent');
  });
});
