/**
 * What the workflow code is, as a fingerprint: a hash of workflows/, its patch ids and the
 * recorded histories. The test suite compares it with the accepted one, so a change to workflow
 * logic cannot land without a patch or newly recorded histories (see accept-workflow-change.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PATCHES } from '../workflows/patches';

export interface WorkflowFingerprint {
  /** sha256 of every file under workflows/ (path and content). */
  workflows: string;
  patches: string[];
  /** Recorded histories (test/workflows/histories) by file name: sha256 of each. */
  histories: Record<string, string>;
  /** Why the last change was accepted. */
  accepted_because?: string;
}

/** The project's root: the nearest folder up from here with a package.json. */
export const PROJECT_ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();

export const FINGERPRINT_FILE = path.join(PROJECT_ROOT, 'test/workflows/workflow-fingerprint.json');
const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test/workflows/histories');

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

export function currentFingerprint(): WorkflowFingerprint {
  const workflowsDir = path.join(PROJECT_ROOT, 'workflows');
  const hash = createHash('sha256');
  for (const file of filesUnder(workflowsDir)) {
    hash
      .update(`${file}\0`)
      .update(readFileSync(path.join(workflowsDir, file)))
      .update('\0');
  }
  return {
    workflows: hash.digest('hex'),
    patches: Object.values(PATCHES).sort(),
    histories: Object.fromEntries(
      filesUnder(HISTORIES_DIR)
        .filter((file) => file.endsWith('.json'))
        .map((file) => [file, sha256(readFileSync(path.join(HISTORIES_DIR, file)))]),
    ),
  };
}

export function acceptedFingerprint(): WorkflowFingerprint {
  return JSON.parse(readFileSync(FINGERPRINT_FILE, 'utf8')) as WorkflowFingerprint;
}

/** What is new since the accepted fingerprint: patch ids, and histories added or re-recorded. */
export function changesSince(accepted: WorkflowFingerprint, current: WorkflowFingerprint) {
  return {
    newPatches: current.patches.filter((id) => !accepted.patches.includes(id)),
    newHistories: Object.keys(current.histories).filter(
      (file) => accepted.histories[file] !== current.histories[file],
    ),
  };
}
