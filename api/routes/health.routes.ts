/** `GET /health`: is the API up, and can it reach its database and Temporal? */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import type { Express } from 'express';
import { z } from 'zod';
import { pingDatabase, type Orm } from '../../shared/node/db/orm';
import type { Logger } from '../../shared/node/logger';
import { pingTemporal } from '../../shared/node/temporal/connection';

const DependencySchema = z.object({
  status: z.enum(['ok', 'unreachable']),
  latency_ms: z.number(),
});
const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    database: DependencySchema,
    temporal: DependencySchema,
  })
  .meta({ id: 'Health' });

async function probe(check: () => Promise<unknown>, logger: Logger, name: string) {
  const started = performance.now();
  try {
    await check();
    return { status: 'ok' as const, latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    logger.warn({ err: error }, `health: ${name} unreachable`);
    return { status: 'unreachable' as const, latency_ms: Math.round(performance.now() - started) };
  }
}

export function addHealthRoute(
  app: Express,
  registry: OpenAPIRegistry,
  deps: { orm: Orm; temporal: Client; logger: Logger },
): void {
  registry.registerPath({
    method: 'get',
    path: '/health',
    tags: ['Health'],
    summary: 'Reachability of the database and Temporal (503 when one is down)',
    responses: {
      200: {
        description: 'All reachable',
        content: { 'application/json': { schema: HealthSchema } },
      },
      503: { description: 'Degraded', content: { 'application/json': { schema: HealthSchema } } },
    },
  });
  app.get('/health', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      probe(() => pingDatabase(deps.orm), deps.logger, 'database'),
      probe(() => pingTemporal(deps.temporal), deps.logger, 'temporal'),
    ]);
    const ok = database.status === 'ok' && temporal.status === 'ok';
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', database, temporal });
  });
}
