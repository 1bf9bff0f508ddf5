/**
 * A workflow's versioning behaviour under Temporal's worker versioning (see
 * worker/deployment.ts). Only versioned workers may send one, so it is given when the task runs
 * on a worker with a deployment version, and left out otherwise.
 */
import type { VersioningBehavior, WorkflowDefinitionOptionsOrGetter } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';

export const versioningBehavior =
  (behavior: VersioningBehavior): WorkflowDefinitionOptionsOrGetter =>
  () =>
    // Unversioned workers report a build id too, but no deployment.
    workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: behavior } : {};
