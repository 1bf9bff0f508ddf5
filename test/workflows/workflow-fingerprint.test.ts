/**
 * A change to workflows/ must keep running executions replayable: it lands only with a patch
 * or newly recorded histories, accepted with `npm run workflows:accept` (see
 * worker/accept-workflow-change.ts), which records the code's fingerprint.
 */
import {
  acceptedFingerprint,
  changesSince,
  currentFingerprint,
} from '../../worker/workflow-fingerprint';

describe('workflow code changes', () => {
  it('matches the fingerprint accepted with a patch or recorded histories', () => {
    const accepted = acceptedFingerprint();
    const current = currentFingerprint();
    const { newPatches, newHistories } = changesSince(accepted, current);
    const advice =
      current.workflows === accepted.workflows
        ? ''
        : `workflows/ changed since it was accepted (new patches: ${newPatches.join(', ') || 'none'}; ` +
          `new histories: ${newHistories.join(', ') || 'none'}). Add a patch or record histories, ` +
          'then run `npm run workflows:accept`.';
    expect(advice).toBe('');
  });

  it('keeps every patch that was ever accepted', () => {
    const current = currentFingerprint();
    expect(acceptedFingerprint().patches.filter((id) => !current.patches.includes(id))).toEqual([]);
  });
});
