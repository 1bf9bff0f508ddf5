/**
 * Workflow code must stay deterministic: a change that makes it issue different commands than a
 * recorded history breaks every crew running while the change is deployed. These tests replay
 * recorded histories (test/workflows/histories/, see record-histories.test.ts) of a sequential,
 * a parallel and a hierarchical crew (recorded before approvals, events and tools existed) and
 * a crew using tool options and an MCP server, and a scheduled run, against the current
 * workflow code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type ReplayResult,
  type WorkflowBundle,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { AesGcmPayloadCodec, payloadKeys } from '../../shared/node/temporal/payload-codec';
import { HISTORY_PAYLOAD_KEYS } from '../support/history-recorder';

const HISTORIES_DIR = path.join(__dirname, 'histories');

interface Recorded {
  /** The file name without `.json`, used as the workflow id during replay. */
  name: string;
  /** The history as stored: Temporal's standard JSON. */
  json: any;
}

const recorded: Recorded[] = readdirSync(HISTORIES_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({
    name: path.basename(file, '.json'),
    json: JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')),
  }));

const workflowType = (json: any): string | undefined =>
  json.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

describe('workflow replay', () => {
  let workflowBundle: WorkflowBundle;

  beforeAll(async () => {
    // The negative test makes Core log the nondeterminism it finds (a WARN): keep it quiet.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR' } } },
    });
    // Bundled once, the way a worker does, for all the replays below.
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      logger: new DefaultLogger('ERROR'),
    });
    workflowBundle = { code };
  }, 60_000);

  const replay = async (histories: { name: string; json: unknown }[]) => {
    const results: ReplayResult[] = [];
    const replayed = Worker.runReplayHistories(
      {
        workflowBundle,
        // Histories recorded since payload encryption are encrypted; older ones pass through.
        dataConverter: {
          payloadCodecs: [
            new AesGcmPayloadCodec(payloadKeys(HISTORY_PAYLOAD_KEYS, Buffer.alloc(32))),
          ],
        },
      },
      histories.map(({ name, json }) => ({ workflowId: name, history: historyFromJSON(json) })),
    );
    for await (const result of replayed) results.push(result);
    return results;
  };

  it('replays the recorded crew histories without a determinism error', async () => {
    expect(recorded.map(({ name }) => name)).toEqual([
      'hierarchical-crew',
      'parallel-crew',
      'scheduled-run',
      'sequential-crew',
      'tools-crew',
    ]);
    expect(recorded.map(({ json }) => workflowType(json))).toEqual([
      'crewWorkflow',
      'crewWorkflow',
      'scheduledRunWorkflow',
      'crewWorkflow',
      'crewWorkflow',
    ]);

    const results = await replay(recorded);
    expect(results.map((result) => [result.workflowId, result.error?.message])).toEqual([
      ['hierarchical-crew', undefined],
      ['parallel-crew', undefined],
      ['scheduled-run', undefined],
      ['sequential-crew', undefined],
      ['tools-crew', undefined],
    ]);
  });

  it('reports a determinism error when the history does not match the code', async () => {
    // The workflow's first command schedules the `markExecutionRunning` activity. Renaming the
    // activity type of the first ActivityTaskScheduled event makes the history say the code
    // scheduled something else, exactly what a code change that calls another activity first
    // would produce: Core compares each command with its event and must reject the mismatch.
    const tampered = structuredClone(recorded.find(({ name }) => name === 'sequential-crew')!);
    const scheduled = tampered.json.events.find(
      (event: any) => event.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
    ).activityTaskScheduledEventAttributes;
    expect(scheduled.activityType.name).toBe('markExecutionRunning');
    scheduled.activityType.name = 'someOtherActivity';

    const [result, ...rest] = await replay([tampered]);
    expect(rest).toEqual([]);
    expect(result!.error).toBeInstanceOf(DeterminismViolationError);
    expect(result!.error!.message).toContain('nondeterminism');
    expect(result!.error!.message).toContain('someOtherActivity');
  });
});
