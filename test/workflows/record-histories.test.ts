/**
 * Re-records the histories the replay test replays (test/workflows/histories/*.json). Skipped
 * unless asked for, since the recorded files are fixtures kept in the tree; name the ones to
 * record, so histories of older workflow code stay as they are:
 *   RECORD_HISTORIES=tools-crew npm run jest -- test/workflows/record-histories.test.ts
 *   RECORD_HISTORIES=all …  (every recording)
 */
import path from 'node:path';
import { HISTORIES_DIR, RECORDING_NAMES, recordCrewHistories } from '../support/history-recorder';

const wanted = process.env.RECORD_HISTORIES;
const names = wanted === 'all' ? RECORDING_NAMES : (wanted?.split(',') ?? []);

describe('recorded crew histories', () => {
  (names.length > 0 ? it : it.skip)(
    `records ${names.join(', ') || 'the named histories'}`,
    async () => {
      const files = await recordCrewHistories(HISTORIES_DIR, names);
      const recorded = new Set(
        files.map((file) => path.basename(file, '.json').replace(/-\d+$/, '')),
      );
      expect([...recorded]).toEqual(RECORDING_NAMES.filter((name) => names.includes(name)));
    },
    180_000,
  );
});
