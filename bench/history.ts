/**
 * History per step: crews whose agent reads a 20 KB document at every step, for 10, 100 and
 * 1,000 steps (a step: one LLM call and the tool call it asks for). Prints the history bytes
 * and events per step over every run of the workflow (continue-as-new included), the largest
 * event, the runs, and the wall time.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { createPayloadCodec } from '../shared/node/temporal/connection';
import { scriptedModelConfig } from '../test/support/model-configs';
import { lastUserPrompt } from '../test/support/scripted-llm-server';
import { startWorker } from '../test/support/worker-harness';
import { eventSizes, runHistories } from '../test/support/workflow-runs';
import {
  databaseType,
  fixed,
  main,
  onCleanup,
  positiveInt,
  startExecution,
  startPlatform,
  waitUntilFinished,
} from './common';

const DOCUMENT = 'document.txt';
const POLL_MS = 50;

main(async () => {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '10,100,1000' },
      'steps-per-task': { type: 'string', default: '50' },
      'doc-kb': { type: 'string', default: '20' },
      db: { type: 'string', default: 'postgres' },
    },
  });
  const sizes = (values.steps ?? '').split(',').map((value) => positiveInt(value, '--steps'));
  const perTask = positiveInt(values['steps-per-task'], '--steps-per-task');
  const docChars = positiveInt(values['doc-kb'], '--doc-kb') * 1000;
  const db = databaseType(values.db);

  const { api, llm, files } = await startPlatform({ db, latencyMs: 0, toolCallsPerTask: 0 });
  writeFileSync(path.join(files, DOCUMENT), 'x'.repeat(docChars));
  const worker = await startWorker(api);
  onCleanup(() => worker.stop());
  const connection = await Connection.connect({ address: api.config.temporal.address });
  onCleanup(() => connection.close());
  const client = new Client({
    connection,
    dataConverter: { payloadCodecs: [createPayloadCodec(api.config)] },
  });

  // A model whose context window holds every read, so history is measured without summaries.
  await scriptedModelConfig(api, llm, {
    name: 'wide',
    model: 'gpt-4o-mini',
    context_window: 100_000_000,
  });

  // Each task's agent reads the document (steps - 1) times, then answers: `steps` LLM calls.
  llm.respondWith((request) => {
    const wanted = Number(/Read the document (\d+) times/.exec(lastUserPrompt(request))?.[1]);
    const reads = request.body.messages.filter((message) => message.role === 'tool').length;
    return reads < wanted
      ? { toolCalls: [{ name: 'read_file', arguments: { path: DOCUMENT } }] }
      : { content: `Read it ${reads} times.` };
  });

  console.log(
    `\nHistory per step: each step is one LLM call and one read_file of a ${docChars / 1000} KB ` +
      `document; at most ${perTask} steps per task; database ${db}; history limits ` +
      `${api.config.temporal.historyLimits.max_events} events / ` +
      `${api.config.temporal.historyLimits.max_bytes} bytes\n`,
  );
  console.log(
    `${'steps'.padStart(6)}${'tasks'.padStart(7)}${'runs'.padStart(6)}${'events'.padStart(9)}` +
      `${'history KB'.padStart(12)}${'events/step'.padStart(13)}${'bytes/step'.padStart(12)}` +
      `${'largest KB'.padStart(12)}${'largest run KB'.padStart(16)}${'seconds'.padStart(9)}`,
  );
  for (const steps of sizes) {
    const tasks = Math.ceil(steps / perTask);
    const crew = {
      name: `History ${steps}`,
      agents: [
        {
          id: 'r',
          role: 'Reader',
          goal: 'Read',
          llm: 'wide',
          tools: ['read_file'],
          max_iter: perTask,
        },
      ],
      tasks: Array.from({ length: tasks }, (_, index) => {
        const here = Math.min(perTask, steps - index * perTask);
        return {
          id: `t${index + 1}`,
          description: `Read the document ${here - 1} times (part ${index + 1})`,
          expected_output: 'x',
          agent: 'r',
        };
      }),
    };
    const started = performance.now();
    const id = await startExecution(api, { crew });
    await waitUntilFinished(api, id, POLL_MS);
    const seconds = (performance.now() - started) / 1000;
    const histories = await runHistories(client, `kasal-crew-${id}`);
    const perRun = histories.map(eventSizes);
    const events = perRun.reduce((sum, run) => sum + run.length, 0);
    const bytes = perRun.flat().reduce((sum, size) => sum + size, 0);
    const largest = Math.max(...perRun.flat());
    const largestRun = Math.max(...perRun.map((run) => run.reduce((sum, size) => sum + size, 0)));
    console.log(
      `${String(steps).padStart(6)}${String(tasks).padStart(7)}${String(histories.length).padStart(6)}` +
        `${String(events).padStart(9)}${fixed(bytes / 1024).padStart(12)}` +
        `${fixed(events / steps).padStart(13)}${fixed(bytes / steps, 0).padStart(12)}` +
        `${fixed(largest / 1024).padStart(12)}${fixed(largestRun / 1024).padStart(16)}` +
        `${fixed(seconds).padStart(9)}`,
    );
  }
  console.log('');
});
