/** What the built-in tools share: the error the agent sees, argument checks, truncation. */
import type { z } from 'zod';

/**
 * Bad arguments or a refused request. Its message goes back to the agent, so it says plainly
 * what was wrong; retrying the same call will not help.
 */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

/** Validates a tool's arguments, turning every problem into one readable ToolInputError. */
export function parseToolArgs<T extends z.ZodType>(
  tool: string,
  schema: T,
  args: unknown,
): z.output<T> {
  const result = schema.safeParse(args);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join('.')} ${issue.message}` : issue.message,
  );
  throw new ToolInputError(`Invalid arguments for ${tool}: ${problems.join('; ')}`);
}

/** Cuts text to maxChars, saying so, so the agent knows there was more. */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  // Do not end on half of a surrogate pair.
  const end = /[\ud800-\udbff]/.test(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
  return `${text.slice(0, end)}\n[truncated at ${maxChars} characters]`;
}

/** The arguments an LLM wrote for a tool call, or why they are not a JSON object. */
export function parseToolCallArguments(
  text: string,
): { ok: true; args: Record<string, unknown> } | { ok: false; error: string } {
  try {
    const args: unknown = JSON.parse(text || '{}');
    if (typeof args === 'object' && args !== null && !Array.isArray(args)) {
      return { ok: true, args: args as Record<string, unknown> };
    }
  } catch {
    // answered below
  }
  return { ok: false, error: `the arguments are not a JSON object: ${text.slice(0, 200)}` };
}
