import { knownContextWindow } from '../../shared/llm/context-windows';
import {
  jsonSchemaResponseFormat,
  knownStructuredOutput,
  meetsStrictRules,
  requestedOutputSchema,
} from '../../shared/llm/structured-output';
import type { MessageText } from '../../shared/llm/chat';
import { taskPrompt } from '../../workflows/prompts';

/** The prompt as the activity reads it: stored texts (here, an earlier JSON output) joined in. */
const asSent = (prompt: MessageText): string =>
  (Array.isArray(prompt) ? prompt : [prompt])
    .map((part) => (typeof part === 'string' ? part : '{"stored": "output"}\n'))
    .join('');

const STRICT_SCHEMA = {
  type: 'object',
  properties: {
    score: { type: 'number', minimum: 0, maximum: 1 },
    tags: { type: 'array', items: { type: 'string' } },
    source: {
      type: 'object',
      properties: { url: { type: 'string' } },
      required: ['url'],
      additionalProperties: false,
    },
  },
  required: ['score', 'tags', 'source'],
  additionalProperties: false,
};

describe('structured output', () => {
  it("finds the schema in the workflow's task prompt, with or without context", () => {
    const task = { description: 'Rate it', expected_output: 'A score', markdown: false };
    const withSchema = { ...task, output_json: STRICT_SCHEMA };
    expect(requestedOutputSchema(asSent(taskPrompt(withSchema, '')))).toEqual(STRICT_SCHEMA);
    expect(requestedOutputSchema(asSent(taskPrompt(withSchema, 'Earlier: {"a": 1}')))).toEqual(
      STRICT_SCHEMA,
    );
    const stored = taskPrompt({ ...withSchema, markdown: true }, ['Earlier: ', { stored: 'k' }]);
    expect(requestedOutputSchema(asSent(stored))).toEqual(STRICT_SCHEMA);
    expect(requestedOutputSchema(asSent(taskPrompt(task, 'context')))).toBeUndefined();
    // The task's own words may quote the instruction: the schema line is the one that parses.
    const quoting = {
      ...withSchema,
      description:
        'Answer with a single JSON value that matches this JSON Schema, and nothing else:\nsee below',
    };
    expect(requestedOutputSchema(asSent(taskPrompt(quoting, '')))).toEqual(STRICT_SCHEMA);
  });

  it('is strict only for schemas that already meet the strict rules', () => {
    expect(meetsStrictRules(STRICT_SCHEMA)).toBe(true);
    const { additionalProperties: _, ...open } = STRICT_SCHEMA;
    expect(meetsStrictRules(open)).toBe(false);
    expect(meetsStrictRules({ ...STRICT_SCHEMA, required: ['score', 'tags'] })).toBe(false);
    const nestedOpen = {
      ...STRICT_SCHEMA,
      properties: { ...STRICT_SCHEMA.properties, source: { type: 'object', properties: {} } },
    };
    expect(meetsStrictRules(nestedOpen)).toBe(false);
    const inArray = {
      ...STRICT_SCHEMA,
      properties: {
        ...STRICT_SCHEMA.properties,
        tags: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } },
      },
    };
    expect(meetsStrictRules(inArray)).toBe(false);
    expect(
      meetsStrictRules({
        ...STRICT_SCHEMA,
        $schema: 'https://json-schema.org/draft/2020-12/schema',
      }),
    ).toBe(false);
    expect(
      meetsStrictRules({
        ...STRICT_SCHEMA,
        properties: { ...STRICT_SCHEMA.properties, score: { type: 'number', default: 0 } },
      }),
    ).toBe(false);
  });

  it('builds the response format, and none for a schema whose root is not an object', () => {
    expect(jsonSchemaResponseFormat('rate task', STRICT_SCHEMA)).toEqual({
      type: 'json_schema',
      json_schema: { name: 'rate_task', schema: STRICT_SCHEMA, strict: true },
    });
    const open = { type: 'object', properties: { a: { type: 'string' } } };
    expect(jsonSchemaResponseFormat('t', open)?.json_schema.strict).toBe(false);
    expect(jsonSchemaResponseFormat('t', { type: 'array', items: {} })).toBeUndefined();
    expect(jsonSchemaResponseFormat('', open)?.json_schema.name).toBe('output');
  });

  it('knows which model families take json_schema', () => {
    for (const model of [
      'gpt-4o-mini',
      'gpt-4o-2024-08-06',
      'gpt-4.1',
      'openai/gpt-5',
      'o3-mini',
    ]) {
      expect([model, knownStructuredOutput(model)]).toEqual([model, true]);
    }
    for (const model of [
      'gpt-4o-2024-05-13',
      'gpt-4-turbo',
      'gpt-3.5-turbo',
      'o1-mini',
      'llama3',
    ]) {
      expect([model, knownStructuredOutput(model)]).toEqual([model, false]);
    }
    expect(knownStructuredOutput('databricks-meta-llama-3-3-70b-instruct')).toBe(true);
    expect(knownStructuredOutput('my-endpoint', 'databricks')).toBe(true);
    expect(knownStructuredOutput('served-model-7b', 'vllm')).toBe(false);
    // The same family names decide context windows.
    expect(knownContextWindow('databricks-gpt-4o')).toBe(128_000);
  });
});
