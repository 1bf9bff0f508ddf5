/** Temporal client wiring shared by the API and the worker. */
import { Client, Connection, QueryRejectCondition } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../search-attributes';
import type { PayloadCodec } from '@temporalio/common';
import { resolveEncryptionKey, type Config } from '../config';
import { AesGcmPayloadCodec, payloadKeys } from './payload-codec';
import type { Logger } from '../logger';
import type { Telemetry } from '../telemetry';

export type TemporalSettings = Config['temporal'];

/** The codec that encrypts payloads; the API's client and every worker use the same keys. */
export function createPayloadCodec(
  config: Pick<Config, 'temporal' | 'env' | 'home' | 'encryptionKey'>,
): PayloadCodec {
  return new AesGcmPayloadCodec(
    payloadKeys(config.temporal.payloadKeys, resolveEncryptionKey(config)),
  );
}

/** A client whose connection opens on first use, so the API starts while Temporal is down. */
export function createLazyTemporalClient(
  settings: TemporalSettings,
  codec: PayloadCodec,
  telemetry?: Telemetry,
): Client {
  const connection = Connection.lazy({ address: settings.address });
  return new Client({
    connection,
    namespace: settings.namespace,
    dataConverter: { payloadCodecs: [codec] },
    // A closed workflow answers no progress query: its row, not a replay, is the truth.
    workflow: {
      queryRejectCondition: QueryRejectCondition.NOT_OPEN,
    },
    ...(telemetry && { interceptors: { workflow: telemetry.clientInterceptors } }),
  });
}

/** Answers when the Temporal frontend responds within the deadline; throws otherwise. */
export async function pingTemporal(client: Client, timeoutMs = 2000): Promise<void> {
  await client.connection.withDeadline(Date.now() + timeoutMs, () =>
    client.connection.workflowService.getSystemInfo({}),
  );
}

/**
 * Registers Kasal's custom search attributes in the namespace when missing (idempotent).
 * Needs operator rights; on a server that refuses, executions still run but are not
 * searchable by these attributes, which is logged.
 */
export async function ensureSearchAttributes(
  connection: { operatorService: temporal.api.operatorservice.v1.OperatorService },
  namespace: string,
  logger: Logger,
): Promise<void> {
  const wanted = Object.values(SEARCH_ATTRIBUTES);
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = wanted.filter((name) => !(name in (existing.customAttributes ?? {})));
    if (missing.length === 0) return;
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, keyword])),
    });
    logger.info({ searchAttributes: missing }, 'registered search attributes');
  } catch (error) {
    logger.warn({ err: error }, 'could not register search attributes');
  }
}
