/** Prebuilds the workflow bundles (for container images), so workers start without webpack. */
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_TRACING_MODULE } from '../shared/node/telemetry';
import { WORKFLOW_BUNDLES, WORKFLOWS_SOURCE } from './options';

async function main(): Promise<void> {
  for (const [kind, file] of Object.entries(WORKFLOW_BUNDLES)) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_SOURCE,
      ...(kind === 'traced' && { workflowInterceptorModules: [WORKFLOW_TRACING_MODULE] }),
    });
    await writeFile(file, code);
    process.stdout.write(`wrote ${file} (${code.length} bytes)\n`);
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
