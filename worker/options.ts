/** Where the worker finds its workflow code: a prebuilt bundle when present, else the source. */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const WORKFLOWS_SOURCE = require.resolve('../workflows');
export const WORKFLOW_BUNDLE_PATH = path.resolve(__dirname, '../workflow-bundle.js');

export function workflowSource():
  { workflowsPath: string } | { workflowBundle: { codePath: string } } {
  return existsSync(WORKFLOW_BUNDLE_PATH)
    ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }
    : { workflowsPath: WORKFLOWS_SOURCE };
}
