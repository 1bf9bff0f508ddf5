/**
 * The execution store: large texts and conversations kept in the platform's database instead of
 * Temporal's history. Every write is insert-once under a key the caller derives from the step,
 * so a retried activity reads and writes exactly what its first attempt did.
 */
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import {
  TASK_OUTPUT_PREFIX,
  type ChatMessage,
  type LlmResponse,
  type MessageText,
  type NewChatMessage,
  type StoredText,
  type ToolResult,
} from '../../llm/chat';
import {
  ConversationMessageEntity,
  ExecutionBlobEntity,
  ExecutionTaskEntity,
  type ConversationMessage,
} from '../db/entities';
import type { Orm } from '../db/orm';
import type { ObjectStore } from './object-store';

/** Results longer than this travel by reference when the workflow asks for it. */
export const INLINE_TEXT_CHARS = 2_000;
/** How much of a stored result the workflow still sees (for logs and the Web UI). */
export const PREVIEW_CHARS = 300;

export interface Owner {
  executionId: string;
  groupId: string;
}

export class ExecutionStore {
  constructor(
    private readonly orm: Orm,
    /** Where the largest texts go, when an object store is configured. */
    private readonly objects?: ObjectStore,
  ) {}

  /** Stores `content` under `key` (the first write wins) and returns its reference. */
  async putText(owner: Owner, key: string, content: string): Promise<StoredText> {
    // The object is written first: a row never points at an object that is not there.
    const objectKey =
      this.objects?.holds(Buffer.byteLength(content)) &&
      (await this.objects.put(`${owner.executionId}/${sha256(key)}`, content));
    await this.orm.em.fork().upsert(
      ExecutionBlobEntity,
      {
        key,
        executionId: owner.executionId,
        groupId: owner.groupId,
        content: objectKey ? '' : content,
        objectKey: objectKey || null,
      },
      { onConflictFields: ['key'], onConflictAction: 'ignore' },
    );
    return { stored: key, chars: content.length };
  }

  /** A successful result longer than INLINE_TEXT_CHARS, stored; others as they are. */
  async byReference(owner: Owner, key: string, result: ToolResult): Promise<ToolResult> {
    if (!result.ok || result.output.length <= INLINE_TEXT_CHARS) return result;
    const stored = await this.putText(owner, key, result.output);
    return { ok: true, output: preview(result.output), stored };
  }

  /** Messages with every stored text replaced by its content (of this group only). */
  async resolveMessages(groupId: string, messages: NewChatMessage[]): Promise<ChatMessage[]> {
    const keys = messages.flatMap((message) => storedKeys(message.content));
    const texts = await this.texts(groupId, keys);
    const resolve = (text: MessageText): string =>
      typeof text === 'string'
        ? text
        : text
            .map((part) => (typeof part === 'string' ? part : (texts.get(part.stored) as string)))
            .join('');
    return messages.map((message): ChatMessage => {
      if (message.role === 'assistant') return message;
      if (message.role === 'tool') return { ...message, content: resolve(message.content) };
      return { role: message.role, content: resolve(message.content) };
    });
  }

  /** The first `length` messages of a conversation, and the stored answer at `length + added`. */
  async conversation(
    groupId: string,
    conversationId: string,
    length: number,
    answerSeq: number,
  ): Promise<{ messages: ChatMessage[]; answer?: LlmResponse }> {
    const rows = await this.orm.em
      .fork()
      .find(
        ConversationMessageEntity,
        { conversationId, groupId, $or: [{ seq: { $lt: length } }, { seq: answerSeq }] },
        { orderBy: { seq: 'asc' } },
      );
    const earlier = rows.filter((row) => row.seq < length);
    if (earlier.length !== length) {
      throw new Error(
        `conversation ${conversationId} has ${earlier.length} stored messages, expected ${length}`,
      );
    }
    const answer = rows.find((row) => row.seq === answerSeq)?.response ?? undefined;
    return { messages: earlier.map((row) => row.message), ...(answer && { answer }) };
  }

  /** Writes messages at `from`, `from + 1`, …; a message already there stays as it is. */
  async append(
    owner: Owner,
    conversationId: string,
    from: number,
    messages: { message: ChatMessage; response?: LlmResponse }[],
  ): Promise<void> {
    if (messages.length === 0) return;
    const rows: Omit<ConversationMessage, 'createdAt'>[] = messages.map((entry, index) => ({
      key: `${conversationId}:${from + index}`,
      conversationId,
      seq: from + index,
      executionId: owner.executionId,
      groupId: owner.groupId,
      message: entry.message,
      response: entry.response ?? null,
    }));
    await this.orm.em.fork().upsertMany(ConversationMessageEntity, rows, {
      onConflictFields: ['key'],
      onConflictAction: 'ignore',
    });
  }

  /**
   * For people reading a run (the Web UI's codec endpoint, for system administrators): stored
   * texts by key and conversations by cursor, in any group; what is missing is left out.
   */
  async lookUp(
    keys: string[],
    cursors: { id: string; length: number }[],
  ): Promise<{ texts: Map<string, string>; conversations: Map<string, ChatMessage[]> }> {
    const texts = await this.texts(undefined, keys, { lenient: true });
    const conversations = new Map<string, ChatMessage[]>();
    for (const cursor of cursors) {
      const rows = await this.orm.em
        .fork()
        .find(
          ConversationMessageEntity,
          { conversationId: cursor.id, seq: { $lt: cursor.length } },
          { orderBy: { seq: 'asc' } },
        );
      conversations.set(
        `${cursor.id}:${cursor.length}`,
        rows.map((row) => row.message),
      );
    }
    return { texts, conversations };
  }

  private async texts(
    groupId: string | undefined,
    keys: string[],
    options: { lenient?: boolean } = {},
  ): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const unique = [...new Set(keys)];
    const em = this.orm.em.fork();
    const blobKeys = unique.filter((key) => !key.startsWith(TASK_OUTPUT_PREFIX));
    const blobs =
      blobKeys.length > 0
        ? await em.find(ExecutionBlobEntity, {
            key: { $in: blobKeys },
            ...(groupId !== undefined && { groupId }),
          })
        : [];
    const texts = new Map<string, string>();
    for (const row of blobs) {
      const text = row.objectKey ? await this.objects?.get(row.objectKey) : row.content;
      if (text !== undefined) texts.set(row.key, text);
    }
    for (const key of unique.filter((candidate) => candidate.startsWith(TASK_OUTPUT_PREFIX))) {
      const output = await this.taskOutput(em, key);
      if (output !== undefined) texts.set(key, output);
    }
    const missing = unique.find((key) => !texts.has(key));
    if (missing !== undefined && !options.lenient) {
      throw new Error(`stored text '${missing}' was not found`);
    }
    return texts;
  }

  /** A completed task's output, from its execution task row (`task-output:<execution>:<task>`). */
  private async taskOutput(em: EntityManager, key: string): Promise<string | undefined> {
    const rest = key.slice(TASK_OUTPUT_PREFIX.length);
    const split = rest.indexOf(':');
    const row = await em.findOne(
      ExecutionTaskEntity,
      { executionId: rest.slice(0, split), taskKey: rest.slice(split + 1), status: 'COMPLETED' },
      { fields: ['output'] },
    );
    return row?.output ?? undefined;
  }
}

const storedKeys = (text: MessageText | null): string[] =>
  text === null || typeof text === 'string'
    ? []
    : text.flatMap((part) => (typeof part === 'string' ? [] : [part.stored]));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const preview = (text: string) =>
  `${text.slice(0, PREVIEW_CHARS)}… [${text.length} characters, stored]`;
