/**
 * What is known of well-known models, by name prefix: the longest matching prefix wins, and
 * provider prefixes (`openai/`, `databricks-`) are ignored.
 */
function familyName(model: string): string {
  return model
    .toLowerCase()
    .replace(/^[\w-]+\//, '')
    .replace(/^databricks-/, '');
}

export function knownFor<T>(
  model: string,
  known: readonly (readonly [string, T])[],
): T | undefined {
  const name = familyName(model);
  let best: readonly [string, T] | undefined;
  for (const entry of known) {
    if (name.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  return best?.[1];
}
