/** Orchestration overhead: a 3-task crew through Kasal vs. the same calls made directly. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { READ_FILE_TOOL } from '../shared/tools/builtin-tools';
import { startWorker } from '../test/support/worker-harness';
import {
  crewRequest,
  databaseType,
  durationMs,
  fixed,
  LLM_API_KEY,
  main,
  onCleanup,
  percentile,
  positiveInt,
  startExecution,
  startPlatform,
  waitUntilFinished,
} from './common';

const TASKS = 3;
const TOOL_CALLS_PER_TASK = 2;
const LLM_CALLS = TASKS * (TOOL_CALLS_PER_TASK + 1);
const STEPS = LLM_CALLS + TASKS * TOOL_CALLS_PER_TASK;
const POLL_MS = 10;

main(async () => {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      'latency-ms': { type: 'string', default: '50' },
      db: { type: 'string', default: 'postgres' },
    },
  });
  const runs = positiveInt(values.runs, '--runs');
  const latencyMs = positiveInt(values['latency-ms'], '--latency-ms');
  const db = databaseType(values.db);

  const { api, llm, files } = await startPlatform({
    db,
    latencyMs,
    toolCallsPerTask: TOOL_CALLS_PER_TASK,
  });
  const worker = await startWorker(api);
  onCleanup(() => worker.stop());

  const body = crewRequest(TASKS);
  const platformRun = async () => {
    const started = performance.now();
    const summary = await waitUntilFinished(api, await startExecution(api, body), POLL_MS);
    return { clientMs: performance.now() - started, serverMs: durationMs(summary) };
  };
  const client = new OpenAI({ baseURL: `${llm.url}/v1`, apiKey: LLM_API_KEY, maxRetries: 0 });
  const baselineRun = () => directCalls(client, files);

  await platformRun(); // warm-up: workflow bundle, connections, JIT
  const platform = [];
  for (let run = 0; run < runs; run += 1) platform.push(await platformRun());
  await baselineRun();
  const baseline = [];
  for (let run = 0; run < runs; run += 1) baseline.push(await baselineRun());

  const clientMs = platform.map((run) => run.clientMs);
  const serverMs = platform.map((run) => run.serverMs);
  const extra = (percentile(clientMs, 50) - percentile(baseline, 50)) / STEPS;
  console.log(
    `\nOrchestration overhead: ${TASKS} tasks x (${TOOL_CALLS_PER_TASK + 1} LLM calls + ` +
      `${TOOL_CALLS_PER_TASK} read_file calls) = ${STEPS} steps; LLM latency ${latencyMs} ms; ` +
      `database ${db}; ${runs} runs each after 1 warm-up run\n`,
  );
  const row = (label: string, values: number[]) =>
    console.log(
      `${label.padEnd(44)}${fixed(percentile(values, 50)).padStart(10)}` +
        `${fixed(percentile(values, 95)).padStart(10)}`,
    );
  console.log(`${'ms per run'.padEnd(44)}${'median'.padStart(10)}${'p95'.padStart(10)}`);
  row('platform (POST -> seen COMPLETED)', clientMs);
  row('platform, server side (created -> finished)', serverMs);
  row(`baseline (${LLM_CALLS} direct LLM calls + ${STEPS - LLM_CALLS} reads)`, baseline);
  console.log(`\nextra ms per step (median platform - baseline) / ${STEPS}: ${fixed(extra)}`);
  console.log(`LLM latency: ${latencyMs} ms per call; polling every ${POLL_MS} ms\n`);
});

/** The crew's work without the platform: the same conversations, tools run in-line. */
async function directCalls(client: OpenAI, files: string): Promise<number> {
  const tools: ChatCompletionTool[] = [
    {
      type: 'function',
      function: {
        name: READ_FILE_TOOL.name,
        description: READ_FILE_TOOL.description,
        parameters: READ_FILE_TOOL.parameters,
      },
    },
  ];
  const started = performance.now();
  for (let task = 1; task <= TASKS; task += 1) {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: `You are Reader ${task}. Your goal: Summarise the notes.` },
      { role: 'user', content: `Read notes.txt and summarise it (part ${task})` },
    ];
    for (;;) {
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
        tools,
      });
      const message = completion.choices[0]?.message;
      const calls = (message?.tool_calls ?? []).filter((call) => call.type === 'function');
      if (calls.length === 0) break;
      messages.push({ role: 'assistant', content: message?.content ?? null, tool_calls: calls });
      for (const call of calls) {
        const args = JSON.parse(call.function.arguments) as { path: string };
        const content = await readFile(path.join(files, args.path), 'utf8');
        messages.push({ role: 'tool', tool_call_id: call.id, content });
      }
    }
  }
  return performance.now() - started;
}
