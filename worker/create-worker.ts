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
  /** Runs until `worker.shutdown()`, then closes the MCP sessions the activities opened. */
  run(): Promise<void>;
}

export async function createKasalWorker(deps: KasalWorkerDeps): Promise<KasalWorker> {
  const { config, telemetry } = deps;
  const mcp = new McpConnections();
  const source = deps.fromSource
    ? { workflowsPath: WORKFLOWS_SOURCE }
    : workflowSource(telemetry !== undefined);
  const worker = await Worker.create({
    connection: deps.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...source,
    dataConverter: { payloadCodecs: [createPayloadCodec(config)] },
    ...(telemetry && {
      interceptors: {
        activity: telemetry.worker.activity,
        // A prebuilt traced bundle has the module already; a bundle made now needs it added.
        ...('workflowsPath' in source && { workflowModules: telemetry.worker.workflowModules }),
      },
      sinks: telemetry.worker.sinks,
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
    }),
  });
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        await mcp.closeAll();
      }
    },
  };
}
