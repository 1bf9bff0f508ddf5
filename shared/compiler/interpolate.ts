/** `{placeholder}` inputs, CrewAI style: only `{identifier}` is replaced, so JSON braces survive. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1] as string);
}

export function inputText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Replaces every placeholder; returns the names that have no input instead of guessing. */
export function interpolate(
  text: string,
  inputs: Record<string, unknown>,
): { text: string; missing: string[] } {
  const missing: string[] = [];
  const result = text.replace(PLACEHOLDER, (whole, name: string) => {
    if (!(name in inputs) || inputs[name] === undefined || inputs[name] === null) {
      missing.push(name);
      return whole;
    }
    return inputText(inputs[name]);
  });
  return { text: result, missing };
}
