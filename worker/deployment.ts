/**
 * Temporal worker versioning. With `KASAL_WORKER_DEPLOYMENT` set, the worker polls as one
 * version of that deployment: its build id is `KASAL_WORKER_BUILD_ID`, or a hash of the workflow
 * code it runs, so new code is a new version by itself. Crews are pinned to the version they
 * started on (and move on only when they continue as new); flows and scheduled runs follow the
 * current version, which their patches make safe. The worker makes its version current once
 * the server has seen it poll, unless `KASAL_WORKER_SET_CURRENT=false` leaves that to an operator.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { bundleWorkflowCode, type NativeConnection } from '@temporalio/worker';
import type { Config } from '../shared/node/config';
import type { Logger } from '../shared/node/logger';

type WorkflowSource =
  { workflowsPath: string } | { workflowBundle: { code: string } | { codePath: string } };

const SET_CURRENT_ATTEMPTS = 60;
const SET_CURRENT_INTERVAL_MS = 1000;

/** The workflow code as one bundle, and the build id that names it. */
export async function versionedSource(
  config: Config,
  source: WorkflowSource,
  interceptorModules: string[],
): Promise<{ source: WorkflowSource; buildId: string }> {
  const explicit = config.workerDeployment?.buildId;
  if ('workflowBundle' in source) {
    const bundle = source.workflowBundle;
    const code = 'code' in bundle ? bundle.code : await readFile(bundle.codePath, 'utf8');
    return { source, buildId: explicit ?? buildIdOf(code) };
  }
  if (explicit) return { source, buildId: explicit };
  // Bundled here (the worker would do the same), so the build id is the code's own hash.
  const { code } = await bundleWorkflowCode({
    workflowsPath: source.workflowsPath,
    workflowInterceptorModules: interceptorModules,
  });
  return { source: { workflowBundle: { code } }, buildId: buildIdOf(code) };
}

const buildIdOf = (code: string) =>
  `wf-${createHash('sha256').update(code).digest('hex').slice(0, 16)}`;

/**
 * Makes the version current in its deployment, so new runs go to it. The server refuses until
 * it has seen the version poll: retried for about a minute.
 */
export async function makeCurrent(
  connection: NativeConnection,
  config: Config,
  buildId: string,
  logger: Logger,
  stopped: () => boolean,
): Promise<void> {
  const deploymentName = config.workerDeployment?.name as string;
  for (let attempt = 1; attempt <= SET_CURRENT_ATTEMPTS && !stopped(); attempt += 1) {
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: config.temporal.namespace,
        deploymentName,
        buildId,
        identity: `kasal-worker/${buildId}`,
      });
      logger.info({ deploymentName, buildId }, 'this worker version is now current');
      return;
    } catch (error) {
      if (attempt === SET_CURRENT_ATTEMPTS) {
        logger.error(
          { err: error, deploymentName, buildId },
          'could not make this version current',
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, SET_CURRENT_INTERVAL_MS));
    }
  }
}
