/**
 * Flows end to end: routers that take each route by a crew's structured output, AND and OR
 * joins, state passed between crews, one child crew execution per step, and save-time checks.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiHarness } from '../support/api-harness';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { oneTaskCrew, step } from '../support/flow-fixtures';
import { lastUserPrompt as prompt, type ScriptedLlmServer } from '../support/scripted-llm-server';

describe('flows', () => {
  let platform: Platform;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;

  beforeAll(async () => {
    platform = await startPlatform({
      OPENAI_API_KEY: 'sk-flows',
    });
    ({ llm, api } = platform);
  });
  afterAll(async () => {
    await platform?.close();
  });
  beforeEach(() => {
    llm.requests.length = 0;
  });

  const run = async (body: Record<string, unknown>) => {
    const started = await api.http.post('/api/v1/executions', { token: api.adminToken, body });
    expect(started.body).toMatchObject({ status: 'PENDING' });
    return finishedExecution(api, started.body.execution_id);
  };
  const statuses = (execution: { flow: { steps: { id: string; status: string }[] } }) =>
    Object.fromEntries(execution.flow.steps.map((item) => [item.id, item.status]));

  const reviewFlow = {
    name: 'Review and route',
    start: ['review'],
    state: { initial: { score: 0 } },
    steps: [
      step('review', 'Score the draft', {
        task: {
          output_json: {
            type: 'object',
            properties: { score: { type: 'number' } },
            required: ['score'],
          },
        },
      }),
      step('publish', 'Publish it', { listen: { router: 'quality', route: 'good' } }),
      step('rewrite', 'Rewrite it', { listen: { router: 'quality', route: 'bad' } }),
    ],
    routers: [
      {
        id: 'quality',
        after: 'review',
        routes: [
          { name: 'good', condition: 'score >= 0.8' },
          { name: 'bad', condition: 'review.score < 0.8 and not (score >= 0.8)' },
        ],
      },
    ],
  };

  it.each([
    [0.9, 'good', 'publish', 'rewrite'],
    [0.3, 'bad', 'rewrite', 'publish'],
  ])(
    "takes the route a crew's structured output chooses (score %s → %s)",
    async (score, route, ran, skipped) => {
      const saved = await api.http.post('/api/v1/flows', {
        token: api.adminToken,
        body: reviewFlow,
      });
      expect(saved.status).toBe(201);
      llm.respondWith((request) =>
        prompt(request).includes('Score the draft')
          ? { content: JSON.stringify({ score }) }
          : { content: 'done' },
      );
      const execution = await run({ flow_id: saved.body.id });
      expect(execution.status).toBe('COMPLETED');
      expect(execution.flow.routes).toEqual([{ router: 'quality', route }]);
      expect(statuses(execution)).toMatchObject({
        review: 'COMPLETED',
        [ran]: 'COMPLETED',
        [skipped]: 'SKIPPED',
      });
      expect(execution.flow.state.score).toBe(score);
      expect(execution.flow_id).toBe(saved.body.id);
    },
  );

  it('joins branches with AND and OR, running independent branches in parallel', async () => {
    let releaseA!: () => void;
    const aHeld = new Promise<void>((resolve) => (releaseA = resolve));
    llm.respondWith(async (request) => {
      const text = prompt(request);
      if (text.includes('Branch A')) {
        await aHeld; // A answers only once B has started: the branches overlap
        return { content: 'A out' };
      }
      if (text.includes('Branch B')) {
        releaseA();
        return { content: 'B out' };
      }
      return { content: `joined` };
    });
    const execution = await run({
      flow: {
        name: 'Joins',
        start: ['a', 'b'],
        steps: [
          step('a', 'Branch A'),
          step('b', 'Branch B'),
          step('both', 'After both', { listen: { to: ['a', 'b'], condition: 'AND' } }),
          step('first', 'After the first', { listen: { to: ['a', 'b'], condition: 'OR' } }),
        ],
      },
    });
    expect(execution.status).toBe('COMPLETED');
    expect(statuses(execution)).toEqual({
      a: 'COMPLETED',
      b: 'COMPLETED',
      both: 'COMPLETED',
      first: 'COMPLETED',
    });
    const order = llm.requests.map((request) => prompt(request).match(/Current task: (.*)/)?.[1]);
    expect(order.filter((task) => task === 'After the first')).toHaveLength(1);
    // The OR join ran after B (the first to finish), the AND join only after A too.
    expect(order.indexOf('After both')).toBeGreaterThan(order.indexOf('Branch A'));
    expect(order.indexOf('After the first')).toBeGreaterThan(order.indexOf('Branch B'));
  });

  it('passes state from one crew to the next, and gives each step its own execution', async () => {
    llm.respondWith((request) =>
      prompt(request).includes('Pick a topic')
        ? { content: '{"topic": "durable execution", "audience": "engineers"}' }
        : { content: 'An article' },
    );
    const execution = await run({
      flow: {
        name: 'Stateful',
        start: ['pick'],
        state: {
          schema: {
            type: 'object',
            properties: {
              topic: { type: 'string' },
              audience: { type: 'string' },
              article: { type: 'string' },
            },
          },
          initial: { topic: '', audience: 'everyone' },
        },
        steps: [
          step('pick', 'Pick a topic', { task: { output_json: { type: 'object' } } }),
          step('write', 'Write about {topic} for {audience} ({tone})', {
            listen: { to: ['pick'], condition: 'AND' },
            inputs: { tone: 'friendly, for {audience}' },
            output_key: 'article',
          }),
        ],
      },
    });
    expect(execution.status).toBe('COMPLETED');
    expect(execution.flow.state).toEqual({
      topic: 'durable execution',
      audience: 'engineers',
      article: 'An article',
    });
    expect(execution.result).toMatchObject({ output: 'An article' });
    const writeRequest = llm.requests.find((request) => prompt(request).includes('Write about'));
    expect(prompt(writeRequest!)).toContain(
      'Write about durable execution for engineers (friendly, for engineers)',
    );

    const writeStep = execution.flow.steps.find((item: { id: string }) => item.id === 'write');
    const child = await api.http.get(`/api/v1/executions/${writeStep.execution_id}`, {
      token: api.adminToken,
    });
    expect(child.body).toMatchObject({
      kind: 'crew',
      status: 'COMPLETED',
      parent_execution_id: execution.id,
      step_id: 'write',
      result: { output: 'An article' },
    });
    expect(child.body.workflow_id).toBe(`${execution.workflow_id}-write-1`);
  });

  it('fails the flow when a step fails, cancelling the other branch and recording both', async () => {
    llm.respondWith(async (request) => {
      if (prompt(request).includes('Doomed')) return { status: 401, error: { message: 'bad key' } };
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { hang: true };
    });
    const execution = await run({
      flow: {
        name: 'Failing',
        start: ['doomed', 'slow'],
        steps: [step('doomed', 'Doomed step'), step('slow', 'Slow step')],
      },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toContain('HTTP 401');
    const steps = Object.fromEntries(
      execution.flow.steps.map((item: { id: string; status: string; execution_id: string }) => [
        item.id,
        item,
      ]),
    );
    expect(steps.doomed.status).toBe('FAILED');
    expect(steps.slow.status).toBe('STOPPED');
    const slowChild = await api.http.get(`/api/v1/executions/${steps.slow.execution_id}`, {
      token: api.adminToken,
    });
    expect(slowChild.body.status).toBe('CANCELLED');
  });

  it('rejects flows with no start, unreachable steps, cycles, bad routers and bad gates, naming the field', async () => {
    const base = {
      name: 'Bad',
      start: ['a'],
      state: { initial: { score: 0 } },
      steps: [step('a', 'A'), step('b', 'B', { listen: { to: ['a'], condition: 'AND' } })],
    };
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ start: [] }, 'start', 'at least one start point'],
      [
        {
          steps: [
            step('a', 'A'),
            step('b', 'B', { listen: { to: ['c'], condition: 'AND' } }),
            step('c', 'C', { listen: { to: ['b'], condition: 'AND' } }),
          ],
        },
        'steps[1].listen',
        'listener cycle',
      ],
      [
        { steps: [step('a', 'A'), step('b', 'B')] },
        'steps[1]',
        'neither a start point nor listens',
      ],
      [
        {
          steps: [step('a', 'A'), step('b', 'B', { listen: { router: 'r', route: 'yes' } })],
          routers: [{ id: 'r', after: 'a', routes: [{ name: 'yes', condition: 'score >= ' }] }],
        },
        'routers[0].routes[0].condition',
        "router 'r': expected an expression",
      ],
      [
        {
          steps: [step('a', 'A'), step('b', 'B', { listen: { router: 'r', route: 'yes' } })],
          routers: [
            { id: 'r', after: 'a', routes: [{ name: 'yes', condition: 'mood == "happy"' }] },
          ],
        },
        'routers[0].routes[0].condition',
        "unknown variable 'mood'",
      ],
      [{ gates: [{ from: 'b', to: 'a', message: 'ok?' }] }, 'gates[0]', "no edge from 'b' to 'a'"],
      [
        { steps: [step('a', 'A'), step('b', 'Uses {missing}', { listen: { to: ['a'] } })] },
        'steps[1].crew.tasks[0].description',
        "missing input 'missing'",
      ],
    ];
    for (const [overrides, field, message] of cases) {
      const response = await api.http.post('/api/v1/flows', {
        token: api.adminToken,
        body: { ...base, ...overrides },
      });
      expect({ field, status: response.status }).toEqual({ field, status: 400 });
      expect(response.body.error.details.fields).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: field })]),
      );
      expect(response.body.error.message).toContain(message);
    }
  });

  describe("Kasal's exported flows", () => {
    const fixtures = path.join(__dirname, '../fixtures/kasal-flows');
    const load = (name: string) => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8'));
    const crewNames = (document: {
      nodes: { type: string; data: { crewName?: string; label?: string } }[];
    }) =>
      document.nodes
        .filter((node) => node.type === 'crewNode')
        .map((node) => node.data.crewName ?? node.data.label ?? '');

    beforeAll(async () => {
      const names = new Set(
        [
          'linear-with-approvals.json',
          'four-step-pipeline.json',
          'branching.json',
          'unsupported.json',
        ].flatMap((file) => crewNames(load(file))),
      );
      for (const name of names) {
        const created = await api.http.post('/api/v1/crews', {
          token: api.adminToken,
          body: oneTaskCrew(name, `Work of ${name}`),
        });
        expect(created.status).toBe(201);
      }
    });

    it.each(['linear-with-approvals.json', 'four-step-pipeline.json', 'branching.json'])(
      'imports %s',
      async (file) => {
        const response = await api.http.post('/api/v1/flows/import', {
          token: api.adminToken,
          body: load(file),
        });
        expect(response.status).toBe(201);
        expect(response.body.steps.length).toBe(crewNames(load(file)).length);
        expect(response.body.import_notes).toEqual(
          expect.arrayContaining([expect.stringContaining('checkpoint')]),
        );
      },
    );

    it('reports what it does not support instead of ignoring it', async () => {
      const response = await api.http.post('/api/v1/flows/import', {
        token: api.adminToken,
        body: load('unsupported.json'),
      });
      expect(response.status).toBe(400);
      const messages = response.body.error.details.fields
        .map((field: { message: string }) => field.message)
        .join('\n');
      expect(messages).toContain("unsupported timeout_action 'auto_approve'");
      expect(messages).toContain('function call');
      expect(messages).toContain('runs only some tasks');
    });
  });
});
