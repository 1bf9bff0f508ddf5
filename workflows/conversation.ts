/**
 * An agent's conversation as its workflow keeps it. Stored (runs started since conversations
 * moved to the platform's store): the messages live in the store, and history carries only a
 * cursor and what each step adds, so it grows with the steps and not with their square. Inline
 * (tasks of runs started before): the whole conversation goes with every LLM call, as it did.
 */
import { uuid4 } from '@temporalio/workflow';
import type { ConversationCursor, LlmResponse, NewChatMessage } from '../shared/llm/chat';

export class Conversation {
  /** Inline: every message so far. Stored: the messages the next call adds. */
  private messages: NewChatMessage[] = [];
  private id: string | undefined;
  /** Stored: how many messages the store holds. */
  private length = 0;

  constructor(stored: boolean) {
    this.id = stored ? uuid4() : undefined;
  }

  get stored(): boolean {
    return this.id !== undefined;
  }

  add(...messages: NewChatMessage[]): void {
    this.messages.push(...messages);
  }

  /** What the next LLM call sends. */
  request(): { messages: NewChatMessage[]; conversation?: ConversationCursor } {
    if (this.id === undefined) return { messages: [...this.messages] };
    return { messages: [...this.messages], conversation: { id: this.id, length: this.length } };
  }

  /** Goes on in another stored conversation (a summarised copy of this one). */
  continueIn(cursor: ConversationCursor): void {
    if (this.id === undefined) throw new Error('only a stored conversation can be summarised');
    this.id = cursor.id;
    this.length = cursor.length;
    this.messages = [];
  }

  /** The LLM answered: its message follows (the activity stored it already, when stored). */
  answered(response: LlmResponse, toolsOffered: boolean): void {
    if (this.id !== undefined) {
      this.length += this.messages.length + 1;
      this.messages = [];
      return;
    }
    const withCalls = toolsOffered && response.tool_calls.length > 0;
    this.messages.push({
      role: 'assistant',
      content: response.content,
      ...(withCalls && { tool_calls: response.tool_calls }),
    });
  }
}
