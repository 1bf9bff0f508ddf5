/**
 * What the Temporal Web UI shows: history at rest holds no prompt or answer in clear, the
 * API's codec endpoints decrypt it for signed-in users only; executions are searchable by
 * Kasal's attributes and carry readable summaries.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { createPayloadCodec } from '../../shared/node/temporal/connection';
import { startApi, temporalAddress, type ApiHarness } from '../support/api-harness';
import { codecJson, historyText } from '../support/history-text';
import { finishedExecution } from '../support/platform';
import { waitFor } from '../support/processes';
import { startScriptedLlmServer, type ScriptedLlmServer } from '../support/scripted-llm-server';
import { startWorker, uniqueTaskQueue, type WorkerHarness } from '../support/worker-harness';

describe('the Temporal Web UI view of executions', () => {
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let worker: WorkerHarness;
  let raw: Client;

  beforeAll(async () => {
    llm = await startScriptedLlmServer();
    llm.respondWith(() => ({ content: 'The confidential answer' }));
    const files = mkdtempSync(path.join(tmpdir(), 'kasal-ui-'));
    writeFileSync(path.join(files, 'long.txt'), `${'A long report. '.repeat(300)}THE END`);
    api = await startApi('postgres', {
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
      OPENAI_BASE_URL: `${llm.url}/v1`,
      OPENAI_API_KEY: 'sk-codec',
      TEMPORAL_UI_URL: 'http://ui.kasal.test:8233',
      KASAL_TOOLS_FILE_ROOT: files,
    });
    worker = await startWorker(api);
    // A client without the codec sees what Temporal stores.
    raw = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
  });
  afterAll(async () => {
    await worker?.stop();
    await raw?.connection.close();
    await api?.close();
    await llm?.close();
  });

  it('keeps prompts and answers out of history, and decodes them for signed-in users only', async () => {
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Confidential',
          agents: [{ id: 'a', role: 'Analyst', goal: 'Analyse the merger plan' }],
          tasks: [
            {
              id: 't',
              description: 'Summarise the secret merger plan',
              expected_output: 'x',
              agent: 'a',
            },
          ],
        },
      },
    });
    const execution = await finishedExecution(api, started.body.execution_id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.web_ui_url).toBe(
      `http://ui.kasal.test:8233/namespaces/default/workflows/${encodeURIComponent(started.body.workflow_id)}`,
    );

    const history = await raw.workflow.getHandle(started.body.workflow_id).fetchHistory();
    const stored = historyText(history);
    for (const secret of [
      'secret merger plan',
      'The confidential answer',
      'Analyse the merger plan',
    ]) {
      expect(stored).not.toContain(secret);
    }

    // The Web UI sends the payloads as JSON with base64 fields.
    const input =
      history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const body = { payloads: [codecJson(input)] };
    const decoded = await api.http.post('/api/v1/codec/decode', { token: api.adminToken, body });
    expect(decoded.status).toBe(200);
    const clear = Buffer.from(decoded.body.payloads[0].data, 'base64').toString('utf8');
    expect(clear).toContain('Summarise the secret merger plan');

    expect((await api.http.post('/api/v1/codec/decode', { body })).status).toBe(401);
    // Payloads of every group pass through the codec: members of one group may not decode.
    const member = await api.createUser('codec-member@kasal.test');
    expect(
      (await api.http.post('/api/v1/codec/decode', { token: member.token, body })).status,
    ).toBe(403);
    expect(
      (await api.http.post('/api/v1/codec/decode', { token: 'not-a-token', body })).status,
    ).toBe(401);

    const encoded = await api.http.post('/api/v1/codec/encode', {
      token: api.adminToken,
      body: decoded.body,
    });
    expect(Buffer.from(encoded.body.payloads[0].data, 'base64').toString('utf8')).not.toContain(
      'merger',
    );
  });

  it('shows what runs keep by reference: conversations and long tool results', async () => {
    let calls = 0;
    llm.respondWith(() =>
      calls++ === 0
        ? { toolCalls: [{ name: 'read_file', arguments: { path: 'long.txt' } }] }
        : { content: 'Read it' },
    );
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Referenced',
          agents: [{ id: 'a', role: 'Reader', goal: 'Read', tools: ['read_file'] }],
          tasks: [{ id: 't', description: 'Read long.txt', expected_output: 'x', agent: 'a' }],
        },
      },
    });
    expect((await finishedExecution(api, started.body.execution_id)).status).toBe('COMPLETED');
    llm.respondWith(() => ({ content: 'The confidential answer' }));
    const history = await raw.workflow.getHandle(started.body.workflow_id).fetchHistory();
    const events = history.events ?? [];
    const decode = async (payload: temporal.api.common.v1.IPayload | undefined) => {
      const body = { payloads: [codecJson(payload)] };
      const decoded = await api.http.post('/api/v1/codec/decode', { token: api.adminToken, body });
      expect(decoded.status).toBe(200);
      return JSON.parse(Buffer.from(decoded.body.payloads[0].data, 'base64').toString('utf8'));
    };
    const scheduled = (type: string) =>
      events.filter(
        (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === type,
      );

    // The tool's result travelled as a preview and a key; the codec shows the whole text.
    const toolScheduled = scheduled('runTool')[0]!;
    const toolDone = events.find(
      (event) =>
        event.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() ===
        toolScheduled.eventId?.toString(),
    );
    const result = await decode(
      toolDone?.activityTaskCompletedEventAttributes?.result?.payloads?.[0],
    );
    expect(result.output.length).toBeLessThan(1000);
    expect(result.stored.stored).toBeDefined();
    expect(result.stored.text).toContain('THE END');

    // The second LLM step carried a cursor and the tool message; the codec shows the messages.
    const second = await decode(
      scheduled('callLlm')[1]!.activityTaskScheduledEventAttributes?.input?.payloads?.[0],
    );
    expect(second.conversation.length).toBe(3);
    expect(second.conversation.messages.map((message: any) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
    ]);
    expect(second.messages[0].content[0].text).toContain('THE END');
  });

  it('makes executions searchable and readable: search attributes and summaries', async () => {
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Searchable crew',
          agents: [{ id: 'a', role: 'Analyst', goal: 'Analyse' }],
          tasks: [{ id: 't', description: 'Analyse', expected_output: 'x', agent: 'a' }],
        },
      },
    });
    const workflowId: string = started.body.workflow_id;
    const decoding = new Client({
      connection: raw.connection,
      dataConverter: { payloadCodecs: [createPayloadCodec(api.config)] },
    });
    const found = await waitFor('the search attributes', async () => {
      const matches = [];
      for await (const workflow of decoding.workflow.list({
        query: `KasalName = 'Searchable crew' AND KasalStatus = 'COMPLETED' AND KasalExecutionKind = 'crew'`,
      })) {
        matches.push(workflow.workflowId);
      }
      return matches.length > 0 ? matches : undefined;
    });
    expect(found).toEqual([workflowId]);
    const description = await decoding.workflow.getHandle(workflowId).describe();
    expect(await description.staticSummary()).toBe('Crew · Searchable crew');

    const history = await decoding.workflow.getHandle(workflowId).fetchHistory();
    const summaries = await Promise.all(
      (history.events ?? [])
        .filter(
          (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'callLlm',
        )
        .map(async (event) => {
          const [payload] = await createPayloadCodec(api.config).decode([
            event.userMetadata!.summary!,
          ]);
          return JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as string;
        }),
    );
    expect(summaries).toEqual(['LLM · t: Analyst']);
  });

  it('answers CORS preflights from the Web UI origin only', async () => {
    const preflight = await api.http.request('OPTIONS', '/api/v1/codec/decode', {
      headers: { origin: 'http://ui.kasal.test:8233', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://ui.kasal.test:8233');
    const other = await api.http.request('OPTIONS', '/api/v1/codec/decode', {
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
