/** What went wrong, in words: the innermost message of a failure's cause chain. */
export function innermostMessage(error: unknown): string {
  // An activity or child-workflow failure wraps the real cause (e.g. the LLM's error).
  let current = error as { message?: string; cause?: unknown } | undefined;
  let message = current?.message ?? String(error);
  while (current?.cause) {
    current = current.cause;
    if (current.message) message = current.message;
  }
  return message;
}
