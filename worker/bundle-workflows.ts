/** Prebuilds the workflow bundle (for container images), so workers start without webpack. */
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH, WORKFLOWS_SOURCE } from './options';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_SOURCE });
  await writeFile(WORKFLOW_BUNDLE_PATH, code);
  process.stdout.write(`wrote ${WORKFLOW_BUNDLE_PATH} (${code.length} bytes)\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
