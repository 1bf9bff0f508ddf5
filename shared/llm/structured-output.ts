/**
 * Structured output: a task's `output_json` asked of the model as `response_format:
 * {type: "json_schema"}` where the model takes it (OpenAI's Structured Outputs; Databricks and
 * others take the same request). The prompt keeps asking for the JSON as well, so a model
 * without it answers as before, and the workflow checks every answer against the schema.
 */
import { knownFor } from './model-families';

/** Families known to take `json_schema` (the longest prefix wins, so exceptions follow their family). */
const KNOWN: [prefix: string, supported: boolean][] = [
  ['gpt-4o', true],
  ['gpt-4o-2024-05-13', false], // the first gpt-4o snapshot came before Structured Outputs
  ['gpt-4.1', true],
  ['gpt-4.5', true],
  ['gpt-5', true],
  ['o1', true],
  ['o1-mini', false],
  ['o1-preview', false],
  ['o3', true],
  ['o4', true],
];

/**
 * Whether a model config that says nothing takes `json_schema`: OpenAI's families above, and
 * Databricks' Foundation Model APIs (provider `databricks`, or a `databricks-` model name).
 * Others (Ollama, vLLM, unknown models) must say so in their config.
 */
export function knownStructuredOutput(model: string, provider?: string): boolean {
  if (provider === 'databricks' || /^([\w-]+\/)?databricks-/i.test(model)) return true;
  return knownFor(model, KNOWN) ?? false;
}

/**
 * How the task prompt asks for JSON (`taskPrompt` in workflows/prompts.ts): this line, then the
 * schema as one line of JSON. The activity finds the task's schema there, so no workflow input
 * changes; test/unit/structured-output.test.ts keeps the two in step.
 */
export const JSON_SCHEMA_INSTRUCTION =
  'Answer with a single JSON value that matches this JSON Schema, and nothing else:\n';

/** The JSON Schema a task prompt asks the answer to match, if it asks for one. */
export function requestedOutputSchema(prompt: string): Record<string, unknown> | undefined {
  for (
    let at = prompt.indexOf(JSON_SCHEMA_INSTRUCTION);
    at >= 0;
    at = prompt.indexOf(JSON_SCHEMA_INSTRUCTION, at + 1)
  ) {
    const start = at + JSON_SCHEMA_INSTRUCTION.length;
    const end = prompt.indexOf('\n', start);
    try {
      const schema: unknown = JSON.parse(prompt.slice(start, end < 0 ? undefined : end));
      if (isRecord(schema)) return schema;
    } catch {
      // not the schema line (the words appear in the task's own text): look further
    }
  }
  return undefined;
}

export interface JsonSchemaResponseFormat {
  type: 'json_schema';
  json_schema: { name: string; schema: Record<string, unknown>; strict: boolean };
}

/**
 * The response format for a schema, or none when the schema's root is not an object (providers
 * take only objects there). Strict (the answer is guaranteed to match) only when the schema
 * already meets OpenAI's strict rules; it is never rewritten.
 */
export function jsonSchemaResponseFormat(
  name: string,
  schema: Record<string, unknown>,
): JsonSchemaResponseFormat | undefined {
  if (schema.type !== 'object') return undefined;
  const safeName = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'output';
  return {
    type: 'json_schema',
    json_schema: { name: safeName, schema, strict: meetsStrictRules(schema) },
  };
}

/** The keywords OpenAI's strict mode supports; any other one makes a schema non-strict. */
const STRICT_KEYWORDS = new Set([
  ...['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const'],
  ...['anyOf', '$defs', 'definitions', '$ref', 'description', 'title'],
  ...['pattern', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  ...['multipleOf', 'minItems', 'maxItems'],
]);

/**
 * Strict mode's rules: every object lists all its properties in `required` and has
 * `additionalProperties: false`, at every depth, with supported keywords only.
 */
export function meetsStrictRules(schema: unknown): boolean {
  if (!isRecord(schema)) return false;
  if (!Object.keys(schema).every((keyword) => STRICT_KEYWORDS.has(keyword))) return false;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('object') || schema.properties !== undefined) {
    const properties = isRecord(schema.properties) ? Object.keys(schema.properties) : [];
    const required = Array.isArray(schema.required) ? schema.required : [];
    if (schema.additionalProperties !== false) return false;
    if (!properties.every((property) => required.includes(property))) return false;
  }
  const children: unknown[] = [
    ...Object.values(isRecord(schema.properties) ? schema.properties : {}),
    ...Object.values(isRecord(schema.$defs) ? schema.$defs : {}),
    ...Object.values(isRecord(schema.definitions) ? schema.definitions : {}),
    ...(Array.isArray(schema.anyOf) ? (schema.anyOf as unknown[]) : []),
    ...(schema.items === undefined ? [] : [schema.items]),
  ];
  return children.every(meetsStrictRules);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
