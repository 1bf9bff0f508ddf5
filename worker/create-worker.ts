/** The Kasal worker: Kasal's workflows and activities on one task queue, wired from config. */
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { McpConnections } from '../activities/mcp/mcp-connections';
import { resolveEncryptionKey, type Config } from '../shared/node/config';
import { createSecretBox } from '../shared/node/crypto/secret-box';
import type { Orm } from '../shared/node/db/orm';
import type { Logger } from '../shared/node/logger';
import { createPayloadCodec } from '../shared/node/temporal/connection';
import type { Telemetry } from '../shared/node/telemetry';
import { ObjectStore } from '../shared/node/store/object-store';
import { makeCurrent, versionedSource } from './deployment';
import { WORKFLOWS_SOURCE, workflowSource } from './options';

export interface KasalWorkerDeps {
  connection: NativeConnection;
  config: Config;
  orm: Orm;
  logger: Logger;
  telemetry?: Telemetry | undefined;
  /** Bundle the workflows from source even when a prebuilt bundle exists. */
  fromSource?: boolean;
}

export interface KasalWorker {
  worker: Worker;
  /** The build id this worker polls as, when worker versioning is on. */
  buildId?: string;
  /** Runs until `worker.shutdown()`, then closes the MCP sessions the activities opened. */
  run(): Promise<void>;
}

export async function createKasalWorker(deps: KasalWorkerDeps): Promise<KasalWorker> {
  const { config, telemetry } = deps;
  const mcp = new McpConnections();
  const chosen = deps.fromSource
    ? { workflowsPath: WORKFLOWS_SOURCE }
    : workflowSource(telemetry !== undefined);
  // A bundle made from source needs the tracing module (a prebuilt traced bundle has it).
  const tracing = telemetry && 'workflowsPath' in chosen ? telemetry.worker.workflowModules : [];
  const versioned = config.workerDeployment && (await versionedSource(config, chosen, tracing));
  const source = versioned ? versioned.source : chosen;
  const worker = await Worker.create({
    connection: deps.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...source,
    dataConverter: { payloadCodecs: [createPayloadCodec(config)] },
    ...(telemetry && {
      interceptors: {
        activity: telemetry.worker.activity,
        ...('workflowsPath' in source && { workflowModules: tracing }),
      },
      sinks: telemetry.worker.sinks,
    }),
    ...(versioned && {
      workerDeploymentOptions: {
        useWorkerVersioning: true,
        version: {
          deploymentName: config.workerDeployment?.name as string,
          buildId: versioned.buildId,
        },
        // Crews say PINNED for themselves; the rest follow the current version.
        defaultVersioningBehavior: 'AUTO_UPGRADE',
      },
    }),
    activities: createActivities({
      orm: deps.orm,
      logger: deps.logger,
      secrets: createSecretBox(resolveEncryptionKey(config)),
      llm: config.llm,
      tools: config.tools,
      mcp,
      webhooks: config.webhooks,
      historyLimits: config.temporal.historyLimits,
      maxStartPayloadBytes: config.temporal.maxStartPayloadBytes,
      objects: config.blobs && new ObjectStore(config.blobs),
    }),
  });
  return {
    worker,
    ...(versioned && { buildId: versioned.buildId }),
    async run() {
      let stopped = false;
      const current =
        versioned && config.workerDeployment?.setCurrent
          ? makeCurrent(deps.connection, config, versioned.buildId, deps.logger, () => stopped)
          : undefined;
      try {
        await worker.run();
      } finally {
        stopped = true;
        await current;
        await mcp.closeAll();
      }
    },
  };
}
