/**
 * Workflow code must stay deterministic: a change that makes it issue different commands than a
 * recorded history breaks every crew running while the change is deployed. These tests replay
 * every recorded history (test/workflows/histories/, see record-histories.test.ts) against the
 * current workflow code: a sequential, a parallel and a hierarchical crew (recorded before
 * approvals, events and tools existed), a crew using tool options and an MCP server, a
 * scheduled run, a flow with parallel steps, an AND join, a router and an approval gate
 * (recorded before the flow interpreter became a class and flows could continue as new), a flow
 * whose routers skip steps and find no route (recorded with PATCHES.routerOutcomes), and both
 * runs of a crew that continued as new with its conversations in the store.
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

  const replay = async (histories: Recorded[]) => {
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
      histories.map(({ name, json }) => ({
        // The recorded id where the history has it: flows name their child crews after it.
        workflowId: json.events[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? name,
        history: historyFromJSON(json),
      })),
    );
    for await (const result of replayed) results.push(result);
    return results;
  };

  it('replays every recorded history without a determinism error', async () => {
    expect(
      Object.fromEntries(recorded.map(({ name, json }) => [name, workflowType(json)])),
    ).toEqual({
      'flow-gates': 'flowWorkflow',
      'flow-routes': 'flowWorkflow',
      'hierarchical-crew': 'crewWorkflow',
      'long-crew': 'crewWorkflow',
      'long-crew-2': 'crewWorkflow',
      'parallel-crew': 'crewWorkflow',
      'scheduled-run': 'scheduledRunWorkflow',
      'sequential-crew': 'crewWorkflow',
      'tools-crew': 'crewWorkflow',
    });
    // The first run of the long crew ended by continuing as new; the second began from it.
    const closing = (name: string) =>
      recorded.find((item) => item.name === name)!.json.events.at(-1);
    expect(closing('long-crew').eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    expect(closing('long-crew-2').eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');

    const results = await replay(recorded);
    expect(results.map((result) => result.error?.message)).toEqual(recorded.map(() => undefined));
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
