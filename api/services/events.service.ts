/**
 * An execution's events: the flat log, the trace tree, and Server-Sent Events. Streams read the
 * database (every worker writes there), so they work with several API processes and workers and
 * with SQLite; a client resumes from `Last-Event-ID`. Each user and group may hold only so many
 * streams open (StreamSlots).
 */
import type { EntityManager } from '@mikro-orm/core';
import type { Request, Response } from 'express';
import { FINAL_STATUSES, type ExecutionStatus } from '../../shared/plan/execution-state';
import {
  ExecutionEntity,
  ExecutionEventEntity,
  type ExecutionEvent,
} from '../../shared/node/db/entities';
import { notFound } from '../http/errors';
import { iso } from './serialize';
import type { StreamSlots } from './stream-slots';

const POLL_MS = 250;
const HEARTBEAT_MS = 15_000;
const BATCH = 500;
const LOOK_BACK = 50;

export function serializeEvent(event: ExecutionEvent) {
  return {
    id: event.id,
    key: event.key,
    execution_id: event.executionId,
    type: event.type,
    task_key: event.taskKey ?? null,
    parent_key: event.parentKey ?? null,
    title: event.title,
    data: event.data,
    duration_ms: event.durationMs ?? null,
    occurred_at: iso(event.occurredAt),
  };
}

type SerializedEvent = ReturnType<typeof serializeEvent>;
export type TraceNode = SerializedEvent & { children: TraceNode[] };

export class EventsService {
  constructor(private readonly slots: StreamSlots) {}

  async logs(
    em: EntityManager,
    groupId: string,
    executionId: string,
    query: { limit: number; offset: number; type?: string | undefined },
  ) {
    await this.execution(em, groupId, executionId);
    const [rows, total] = await em.findAndCount(
      ExecutionEventEntity,
      { executionId, ...(query.type && { type: query.type }) },
      { orderBy: { id: 'asc' }, limit: query.limit, offset: query.offset },
    );
    return { items: rows.map(serializeEvent), total, limit: query.limit, offset: query.offset };
  }

  /** The events as a tree: execution → tasks → LLM and tool calls (and approvals). */
  async trace(em: EntityManager, groupId: string, executionId: string) {
    const execution = await this.execution(em, groupId, executionId);
    const rows = await em.find(ExecutionEventEntity, { executionId }, { orderBy: { id: 'asc' } });
    const nodes = new Map<string, TraceNode>(
      rows.map((row) => [row.key, { ...serializeEvent(row), children: [] }]),
    );
    const roots: TraceNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.parent_key ? nodes.get(node.parent_key) : undefined;
      if (parent) parent.children.push(node);
      else roots.push(node);
    }
    return {
      execution_id: executionId,
      status: execution.status,
      usage: execution.usage ?? null,
      roots,
    };
  }

  /** Streams events as they are written, then ends once the execution has finished. */
  async stream(
    req: Request,
    res: Response,
    watcher: { userId: string; groupId: string },
    executionId: string | undefined,
    lastEventId: number,
  ): Promise<void> {
    const { groupId } = watcher;
    if (executionId) await this.execution(req.em, groupId, executionId);
    const release = this.slots.take(watcher.userId, groupId);
    try {
      await this.send(req, res, groupId, executionId, lastEventId, release);
    } finally {
      release();
    }
  }

  private async send(
    req: Request,
    res: Response,
    groupId: string,
    executionId: string | undefined,
    lastEventId: number,
    release: () => void,
  ): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    let closed = false;
    req.on('close', () => {
      closed = true;
      release(); // the slot is free as soon as the client has gone
    });
    let last = lastEventId;
    let lastWrite = Date.now();
    // Ids are assigned before commit, so a slightly older id can appear after a newer one: look
    // back a little on every poll, and send each event once.
    const sent = new Set<number>();
    while (!closed) {
      const em = req.em.fork();
      const found = await em.find(
        ExecutionEventEntity,
        {
          groupId,
          ...(executionId && { executionId }),
          id: { $gt: Math.max(lastEventId, last - LOOK_BACK) },
        },
        { orderBy: { id: 'asc' }, limit: BATCH },
      );
      const events = found.filter((event) => event.id > last || !sent.has(event.id));
      for (const event of events) {
        sent.add(event.id);
        res.write(
          `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(serializeEvent(event))}\n\n`,
        );
        last = Math.max(last, event.id);
        lastWrite = Date.now();
      }
      for (const id of sent) if (id <= last - LOOK_BACK) sent.delete(id);
      if (found.length === BATCH && events.length > 0) continue;
      const finished =
        executionId && events.length === 0 ? await this.finished(em, executionId, last) : undefined;
      if (finished) {
        res.write(`event: end\ndata: ${JSON.stringify({ status: finished })}\n\n`);
        break;
      }
      if (Date.now() - lastWrite >= HEARTBEAT_MS) {
        res.write(': heartbeat\n\n');
        lastWrite = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    res.end();
  }

  /** The final status once the execution has finished and its closing event has been sent. */
  private async finished(
    em: EntityManager,
    executionId: string,
    last: number,
  ): Promise<ExecutionStatus | undefined> {
    const execution = await em.findOneOrFail(ExecutionEntity, { id: executionId });
    if (!FINAL_STATUSES.includes(execution.status)) return undefined;
    const closing = await em.count(ExecutionEventEntity, {
      executionId,
      key: { $like: `${executionId}:finished:%` },
      id: { $lte: last },
    });
    // A run that failed to start has no events at all: it is finished all the same.
    return closing > 0 || !execution.startedAt ? execution.status : undefined;
  }

  private async execution(em: EntityManager, groupId: string, id: string) {
    const execution = await em.findOne(ExecutionEntity, { id, groupId });
    if (!execution) throw notFound('Execution', id);
    return execution;
  }
}
