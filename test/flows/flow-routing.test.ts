/**
 * Router names on Postgres and on SQLite: a name that is both a step id and a state field is
 * refused when a flow is saved, imported or run inline.
 */
import { startPlatform, type Platform } from '../support/platform';
import { oneTaskCrew, step } from '../support/flow-fixtures';

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
});
