/** Where the worker finds its workflow code: a prebuilt bundle when present, else the source. */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const WORKFLOWS_SOURCE = require.resolve('../workflows');

/** Prebuilt bundles (see bundle-workflows.ts): without tracing, and with its module. */
export const WORKFLOW_BUNDLES = {
  plain: path.resolve(__dirname, '../workflow-bundle.js'),
  traced: path.resolve(__dirname, '../workflow-bundle-traced.js'),
};

export function workflowSource(
  traced: boolean,
): { workflowsPath: string } | { workflowBundle: { codePath: string } } {
  const bundle = WORKFLOW_BUNDLES[traced ? 'traced' : 'plain'];
  return existsSync(bundle)
    ? { workflowBundle: { codePath: bundle } }
    : { workflowsPath: WORKFLOWS_SOURCE };
}
