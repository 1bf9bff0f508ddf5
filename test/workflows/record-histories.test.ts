/**
 * Re-records the histories the replay test replays (test/workflows/histories/*.json). Skipped
 * unless asked for, since the recorded files are fixtures kept in the tree:
 *   RECORD_HISTORIES=1 npm run jest -- test/workflows/record-histories.test.ts
 */
import path from 'node:path';
import { HISTORIES_DIR, recordCrewHistories } from '../support/history-recorder';

describe('recorded crew histories', () => {
  (process.env.RECORD_HISTORIES === '1' ? it : it.skip)(
    'records a sequential, a parallel and a hierarchical crew',
    async () => {
      const files = await recordCrewHistories(HISTORIES_DIR);
      expect(files.map((file) => path.basename(file))).toEqual([
        'sequential-crew.json',
        'parallel-crew.json',
        'hierarchical-crew.json',
      ]);
    },
    180_000,
  );
});
