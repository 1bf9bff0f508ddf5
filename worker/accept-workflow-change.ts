/**
 * `npm run workflows:accept [-- --reason "…"]`: accepts a change to workflows/ once it is safe
 * for running executions: it added a patch (workflows/patches.ts) or newly recorded histories
 * that replay. A change that alters no workflow logic (a comment, a rename inside one function)
 * is accepted with `--reason` saying so. Writes test/workflows/workflow-fingerprint.json.
 */
import { writeFileSync } from 'node:fs';
import {
  acceptedFingerprint,
  changesSince,
  currentFingerprint,
  FINGERPRINT_FILE,
} from './workflow-fingerprint';

function main(): void {
  const reasonAt = process.argv.indexOf('--reason');
  const reason = reasonAt >= 0 ? process.argv[reasonAt + 1]?.trim() : undefined;
  const accepted = acceptedFingerprint();
  const current = currentFingerprint();
  if (current.workflows === accepted.workflows) {
    process.stdout.write('workflows/ has not changed since it was last accepted\n');
    return;
  }
  const { newPatches, newHistories } = changesSince(accepted, current);
  const because =
    reason ??
    [
      newPatches.length > 0 && `new patches: ${newPatches.join(', ')}`,
      newHistories.length > 0 && `newly recorded histories: ${newHistories.join(', ')}`,
    ]
      .filter(Boolean)
      .join('; ');
  if (!because) {
    process.stderr.write(
      'workflows/ changed, but no patch was added (workflows/patches.ts) and no history was recorded.\n' +
        'Guard new logic with patched(), or record histories (RECORD_HISTORIES=… npm run jest -- test/workflows/record-histories.test.ts),\n' +
        'or, if no workflow logic changed, say so: npm run workflows:accept -- --reason "…"\n',
    );
    process.exitCode = 1;
    return;
  }
  writeFileSync(
    FINGERPRINT_FILE,
    `${JSON.stringify({ ...current, accepted_because: because }, null, 2)}\n`,
  );
  process.stdout.write(`accepted (${because})\n`);
}

main();
