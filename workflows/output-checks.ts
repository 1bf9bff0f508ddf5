/** Checks of an agent's final answer that run in the workflow: JSON output and code guardrails. */
import { Validator } from '@cfworker/json-schema';

export type CheckResult = { ok: true; json?: unknown } | { ok: false; feedback: string };

/** Reads a JSON answer, tolerating a Markdown code fence around it. */
export function parseJsonAnswer(answer: string): { ok: true; value: unknown } | { ok: false } {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(answer);
  const text = (fenced?.[1] ?? answer).trim();
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export function checkJsonSchema(answer: string, schema: Record<string, unknown>): CheckResult {
  const parsed = parseJsonAnswer(answer);
  if (!parsed.ok) return { ok: false, feedback: 'the answer is not valid JSON' };
  const result = new Validator(schema, '2020-12', false).validate(parsed.value);
  if (result.valid) return { ok: true, json: parsed.value };
  const errors = result.errors
    .filter((error) => error.keyword !== 'properties' && error.keyword !== 'items')
    .slice(0, 5)
    .map((error) => `${error.instanceLocation || '#'}: ${error.error}`);
  return { ok: false, feedback: `the JSON does not match the schema (${errors.join('; ')})` };
}

export function checkMinLength(answer: string, min: number): CheckResult {
  return answer.trim().length >= min
    ? { ok: true }
    : {
        ok: false,
        feedback: `the answer must be at least ${min} characters long (it has ${answer.trim().length})`,
      };
}
