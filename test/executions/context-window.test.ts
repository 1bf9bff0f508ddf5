/**
 * respect_context_window, as CrewAI does it: when an agent's conversation outgrows its model's
 * context window, older messages are summarised by the LLM (an activity of its own) and the
 * task goes on; with `respect_context_window: false` the task fails saying why. Events say
 * which happened.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiHarness } from '../support/api-harness';
import { scriptedModelConfig } from '../support/model-configs';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import type { RecordedRequest, ScriptedLlmServer } from '../support/scripted-llm-server';

const SUMMARY = 'SUMMARY: the document was read three times; it says the sky is blue.';
const isSummaryRequest = (request: RecordedRequest) =>
  String(request.body.messages[0]?.content).startsWith('You summarise the work');
const summarised = (request: RecordedRequest) =>
  request.body.messages.some((message) =>
    String(message.content).includes('Summary of your work so far'),
  );

describe('context window', () => {
  let platform: Platform;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;

  beforeAll(async () => {
    const files = mkdtempSync(path.join(tmpdir(), 'kasal-window-'));
    // About 250 tokens: three reads no longer fit a 1,000-token window.
    writeFileSync(path.join(files, 'sky.txt'), 'The sky is blue. '.repeat(59));
    platform = await startPlatform({ KASAL_TOOLS_FILE_ROOT: files, LLM_STREAM: 'false' });
    ({ llm, api } = platform);
    const model = await scriptedModelConfig(api, llm, {
      name: 'small',
      model: 'tiny-model',
      context_window: 1000,
    });
    expect(model.context_window).toBe(1000);
    llm.respondWith((request) => {
      if (isSummaryRequest(request)) return { content: SUMMARY };
      if (summarised(request)) return { content: 'The sky is blue (after a summary).' };
      return { toolCalls: [{ name: 'read_file', arguments: { path: 'sky.txt' } }] };
    });
  });
  afterAll(async () => {
    await platform?.close();
  });
  beforeEach(() => {
    llm.requests.length = 0;
  });

  const run = async (respect: boolean) => {
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Reader',
          agents: [
            {
              id: 'r',
              role: 'Reader',
              goal: 'Read',
              llm: 'small',
              tools: ['read_file'],
              respect_context_window: respect,
            },
          ],
          tasks: [{ id: 'read', description: 'Read sky.txt', expected_output: 'x', agent: 'r' }],
        },
      },
    });
    expect(started.status).toBe(202);
    const execution = await finishedExecution(api, started.body.execution_id);
    const events = await api.http.get(
      `/api/v1/executions/${started.body.execution_id}/logs?limit=100`,
      { token: api.adminToken },
    );
    return { execution, events: (events.body.items ?? events.body) as any[] };
  };

  it('summarises older messages when the conversation outgrows the window, then goes on', async () => {
    const { execution, events } = await run(true);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toBe('The sky is blue (after a summary).');

    const summaryRequests = llm.requests.filter(isSummaryRequest);
    expect(summaryRequests).toHaveLength(1);
    // The summary was asked about the older reads, not the latest exchange.
    expect(String(summaryRequests[0]!.body.messages[1]!.content)).toContain('The sky is blue.');

    // The step after the summary: system, task, summary, then the latest call and its result.
    const after = llm.requests.at(-1)!;
    expect(after.body.model).toBe('tiny-model');
    expect(after.body.messages.map((message) => message.role)).toEqual([
      'system',
      'user',
      'user',
      'assistant',
      'tool',
    ]);
    expect(String(after.body.messages[2]!.content)).toContain(SUMMARY);
    const chars = JSON.stringify(after.body.messages).length;
    expect(chars / 4).toBeLessThan(850);

    const types = events.map((event) => event.type);
    expect(types).toContain('llm_context_exceeded');
    expect(types).toContain('llm_context_summarized');
    const summary = events.find((event) => event.type === 'llm_context_summarized');
    expect(summary.data.summarized_messages).toBeGreaterThan(0);
    expect(summary.data.tokens_after).toBeLessThan(summary.data.tokens_before);
    // The summary's tokens count towards the task's usage.
    expect(execution.tasks[0].usage.total_tokens).toBeGreaterThan(0);
  });

  it('fails the task, saying why, when the agent does not respect its context window', async () => {
    const { execution, events } = await run(false);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toContain("no longer fits the context window of 'tiny-model'");
    expect(execution.error).toContain('respect_context_window');
    expect(llm.requests.filter(isSummaryRequest)).toHaveLength(0);
    expect(events.map((event) => event.type)).toContain('llm_context_exceeded');
  });
});
