/**
 * What an execution keeps outside Temporal's history, so history grows with the steps and not
 * with their size: large texts (tool results, task outputs) and each agent's conversation.
 * Rows are written once under keys the workflow chose, so a retried activity finds exactly
 * what the first attempt wrote.
 */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ChatMessage, LlmResponse } from '../../../llm/chat';

export const ExecutionBlobEntity = defineEntity({
  name: 'ExecutionBlob',
  tableName: 'execution_blobs',
  properties: {
    /** Chosen by the writer from the step (activity) or the task: the same on every retry. */
    key: p.string().length(300).primary(),
    executionId: p.uuid().index(),
    groupId: p.uuid(),
    /** The text; empty when it is kept in the object store under `objectKey`. */
    content: p.text(),
    objectKey: p.string().length(1000).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

export const ConversationMessageEntity = defineEntity({
  name: 'ConversationMessage',
  tableName: 'conversation_messages',
  uniques: [{ properties: ['conversationId', 'seq'] }],
  properties: {
    /** `<conversation id>:<seq>`. */
    key: p.string().length(200).primary(),
    conversationId: p.string().length(100),
    seq: p.integer(),
    executionId: p.uuid().index(),
    groupId: p.uuid(),
    /** The message as the LLM saw it, every stored text resolved. */
    message: p.json<ChatMessage>(),
    /** For an assistant message: the LLM call that wrote it, so a retry does not pay twice. */
    response: p.json<LlmResponse>().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

export type ExecutionBlob = InferEntity<typeof ExecutionBlobEntity>;
export type ConversationMessage = InferEntity<typeof ConversationMessageEntity>;
