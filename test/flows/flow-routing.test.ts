/**
 * Routers that cannot decide, on Postgres and on SQLite: a name that is both a step id and a
 * state field is refused when a flow is saved, imported or run inline; a condition comparing
 * values of different kinds fails the run saying which router, condition and why; a router
 * where no route matched records a `router_no_match` event, marks the steps that can no longer
 * run SKIPPED, and ends the flow or fails it as its `on_no_route` says.
 */
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { oneTaskCrew, step } from '../support/flow-fixtures';
import { lastUserPrompt as prompt } from '../support/scripted-llm-server';

const RATING_JSON = {
  output_json: {
    type: 'object',
    properties: { rating: { type: 'number' } },
    required: ['rating'],
  },
};

/** A rating routes to publish (high) or rewrite (low); a middling one matches no route. */
const ratingFlow = (router: Record<string, unknown> = {}) => ({
  name: 'Rate and route',
  start: ['rate'],
  state: { initial: { rating: 0 } },
  steps: [
    step('rate', 'Rate the draft', { task: RATING_JSON }),
    step('archive', 'Archive the draft', { listen: { to: ['rate'], condition: 'AND' } }),
    step('publish', 'Publish it', { listen: { router: 'decide', route: 'good' } }),
    step('rewrite', 'Rewrite it', { listen: { router: 'decide', route: 'bad' } }),
    step('announce', 'Announce it', { listen: { to: ['publish'], condition: 'AND' } }),
  ],
  routers: [
    {
      id: 'decide',
      after: 'rate',
      routes: [
        { name: 'good', condition: 'rating >= 8' },
        { name: 'bad', condition: 'rating <= 2' },
      ],
      ...router,
    },
  ],
});

describe.each(['postgres', 'sqlite'] as const)('flow routing on %s', (database) => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform({ OPENAI_API_KEY: 'sk-routing' }, database);
  });
  afterAll(async () => {
    await platform?.close();
  });

  const api = () => platform.api;
  const post = (path: string, body: unknown) =>
    api().http.post(path, { token: api().adminToken, body });
  const run = async (body: Record<string, unknown>) => {
    const started = await post('/api/v1/executions', body);
    expect(started.status).toBe(202);
    return finishedExecution(api(), started.body.execution_id);
  };
  const statuses = (execution: { flow: { steps: { id: string; status: string }[] } }) =>
    Object.fromEntries(execution.flow.steps.map((item) => [item.id, item.status]));
  const noMatchEvents = async (id: string) => {
    const logs = await api().http.get(`/api/v1/executions/${id}/logs?type=router_no_match`, {
      token: api().adminToken,
    });
    expect(logs.status).toBe(200);
    return logs.body.items as { title: string; data: Record<string, unknown> }[];
  };
  const answerRating = (rating: number) =>
    platform.llm.respondWith((request) =>
      prompt(request).includes('Rate the draft')
        ? { content: JSON.stringify({ rating }) }
        : { content: 'done' },
    );

  describe('a name that is both a step id and a state field', () => {
    const clashing = {
      name: 'Clash',
      start: ['score'],
      state: { initial: { score: 0 } },
      steps: [
        step('score', 'Score the draft'),
        step('publish', 'Publish it', { listen: { router: 'decide', route: 'good' } }),
      ],
      routers: [
        { id: 'decide', after: 'score', routes: [{ name: 'good', condition: 'score >= 0.8' }] },
      ],
    };
    const expectClash = (response: { status: number; body: any }, path: string, field: string) => {
      expect(response.status).toBe(400);
      const message = `'score' is both a step id (steps[0]) and a state field (${field}): in router conditions 'score' means the step, so rename one`;
      expect(response.body.error.details.fields).toContainEqual({ path, message });
      expect(response.body.error.message).toContain(message);
    };

    it('is refused when the flow is saved, replaced or run inline, naming the step and the field', async () => {
      expectClash(await post('/api/v1/flows', clashing), 'steps[0].id', 'state.initial.score');
      expectClash(
        await post('/api/v1/flows', {
          ...clashing,
          state: { schema: { type: 'object', properties: { score: { type: 'number' } } } },
        }),
        'steps[0].id',
        'state.schema.properties.score',
      );
      expectClash(
        await post('/api/v1/flows', {
          ...clashing,
          state: { initial: {} },
          steps: [
            step('score', 'Score the draft'),
            step('publish', 'Publish it', {
              listen: { router: 'decide', route: 'good' },
              output_key: 'score',
            }),
          ],
        }),
        'steps[0].id',
        'steps[1].output_key',
      );

      const saved = await post('/api/v1/flows', { ...clashing, state: { initial: { level: 0 } } });
      expect(saved.status).toBe(201);
      const replaced = await api().http.put(`/api/v1/flows/${saved.body.id}`, {
        token: api().adminToken,
        body: clashing,
      });
      expectClash(replaced, 'steps[0].id', 'state.initial.score');
      const unchanged = await api().http.get(`/api/v1/flows/${saved.body.id}`, {
        token: api().adminToken,
      });
      expect(unchanged.body).toMatchObject({ version: 1, state: { initial: { level: 0 } } });

      expectClash(
        await post('/api/v1/executions', { flow: clashing }),
        'flow.steps[0].id',
        'state.initial.score',
      );
      // The execution's inputs become state fields too.
      expectClash(
        await post('/api/v1/executions', { flow_id: saved.body.id, inputs: { score: 1 } }),
        'flow.steps[0].id',
        "the execution's inputs.score",
      );
    });

    it('is refused when a Kasal flow is imported with such a state value', async () => {
      const crew = await post('/api/v1/crews', oneTaskCrew('Score', 'Score the draft'));
      expect(crew.status).toBe(201);
      const imported = await post('/api/v1/flows/import', {
        name: 'Imported clash',
        nodes: [
          {
            id: 'crew-score',
            type: 'crewNode',
            data: { label: 'Score', crewName: 'Score', crewId: crew.body.id },
          },
        ],
        edges: [],
        flow_config: { state: { enabled: true, initialValues: { score: 0 } } },
      });
      expectClash(imported, 'steps[0].id', 'state.initial.score');
    });
  });

  it('fails the run when a condition compares a step with a number, saying which and why', async () => {
    // `score` is a step id, and the step's output also sets a state field `score` at run time.
    const saved = await post('/api/v1/flows', {
      name: 'Mismatched kinds',
      start: ['score'],
      steps: [
        step('score', 'Score the draft', {
          task: {
            output_json: {
              type: 'object',
              properties: { score: { type: 'number' } },
              required: ['score'],
            },
          },
        }),
        step('publish', 'Publish it', { listen: { router: 'decide', route: 'good' } }),
      ],
      routers: [
        { id: 'decide', after: 'score', routes: [{ name: 'good', condition: 'score >= 0.8' }] },
      ],
    });
    expect(saved.status).toBe(201);
    platform.llm.respondWith(() => ({ content: JSON.stringify({ score: 0.9 }) }));
    const execution = await run({ flow_id: saved.body.id });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe(
      "router 'decide': condition 'score >= 0.8' compares an object (step 'score') with a number (0.8): '>=' needs two numbers or two strings",
    );
    expect(statuses(execution)).toEqual({ score: 'COMPLETED', publish: 'PENDING' });
    expect(execution.flow.state).toEqual({ score: 0.9 });
  });

  it('ends COMPLETED when no route matches with on_no_route end (the default), skipping what cannot run', async () => {
    answerRating(5);
    const execution = await run({ flow: ratingFlow() });
    expect(execution.status).toBe('COMPLETED');
    expect(execution.flow.routes).toEqual([{ router: 'decide', route: null }]);
    expect(statuses(execution)).toEqual({
      rate: 'COMPLETED',
      archive: 'COMPLETED',
      publish: 'SKIPPED',
      rewrite: 'SKIPPED',
      announce: 'SKIPPED',
    });
    const events = await noMatchEvents(execution.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      title: "Router 'decide' after step 'rate': no condition matched; the flow goes on without it",
      data: {
        router: 'decide',
        after: 'rate',
        on_no_route: 'end',
        routes: [
          { name: 'good', condition: 'rating >= 8', values: { rating: 5 } },
          { name: 'bad', condition: 'rating <= 2', values: { rating: 5 } },
        ],
        skipped: ['publish', 'rewrite', 'announce'],
      },
    });
  });

  it('marks the branch a taken route leaves behind SKIPPED, with no event', async () => {
    answerRating(9);
    const execution = await run({ flow: ratingFlow() });
    expect(execution.status).toBe('COMPLETED');
    expect(statuses(execution)).toEqual({
      rate: 'COMPLETED',
      archive: 'COMPLETED',
      publish: 'COMPLETED',
      rewrite: 'SKIPPED',
      announce: 'COMPLETED',
    });
    expect(await noMatchEvents(execution.id)).toEqual([]);
  });

  it('fails when no route matches with on_no_route fail, saying which router', async () => {
    answerRating(5);
    const execution = await run({ flow: ratingFlow({ on_no_route: 'fail' }) });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe(
      "router 'decide' after step 'rate': no condition matched and it has no default route (on_no_route: fail)",
    );
    expect(statuses(execution)).toEqual({
      rate: 'COMPLETED',
      archive: 'PENDING',
      publish: 'SKIPPED',
      rewrite: 'SKIPPED',
      announce: 'SKIPPED',
    });
    const events = await noMatchEvents(execution.id);
    expect(events.map((event) => event.data.on_no_route)).toEqual(['fail']);
  });

  it('validates on_no_route', async () => {
    const withDefault = await post('/api/v1/flows', {
      ...ratingFlow({ on_no_route: 'fail', default_route: 'bad' }),
    });
    expect(withDefault.status).toBe(400);
    expect(withDefault.body.error.details.fields).toContainEqual({
      path: 'routers[0].on_no_route',
      message:
        'give "on_no_route" or "default_route", not both: with a default route some route is always taken',
    });
    const unknown = await post('/api/v1/flows', ratingFlow({ on_no_route: 'ignore' }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details.fields).toEqual([
      expect.objectContaining({ path: 'routers[0].on_no_route' }),
    ]);
    const saved = await post('/api/v1/flows', ratingFlow({ on_no_route: 'fail' }));
    expect(saved.status).toBe(201);
    expect(saved.body.routers[0].on_no_route).toBe('fail');
  });

  it('documents on_no_route and the SKIPPED step status in the OpenAPI document', async () => {
    const { schemas } = (await api().http.get('/api-openapi.json')).body.components;
    const router = schemas.FlowSpec.properties.routers.items;
    expect(router.properties.on_no_route).toMatchObject({ enum: ['end', 'fail'] });
    expect(router.properties.on_no_route.description).toContain('router_no_match');
    const flow = schemas.Execution.properties.flow;
    expect(flow.properties.steps.items.properties.status.enum).toContain('SKIPPED');
    expect(flow.properties.routes.items.properties.route.description).toContain('no condition');
  });
});
