import { z } from 'zod';
import {
  JsonSchemaObjectSchema,
  NameSchema,
  ToolConfigsSchema,
  ToolNameSchema,
} from './common.schema';

/** A check that a task's answer must pass before it is accepted. */
export const GuardrailSchema = z
  .union([
    z.string().trim().min(1).describe('An LLM check described in words'),
    z.strictObject({ type: z.literal('llm'), description: z.string().trim().min(1) }),
    z.strictObject({ type: z.literal('min_length'), min: z.number().int().min(1) }),
    z.strictObject({ type: z.literal('json_schema'), schema: JsonSchemaObjectSchema }),
  ])
  .meta({ id: 'Guardrail' });

export type Guardrail = z.infer<typeof GuardrailSchema>;

/**
 * Task fields shared by saved tasks and tasks written inline in a crew. `agent` and `context`
 * refer to agents and tasks: saved ids for saved tasks, crew-local keys or saved ids in a crew.
 */
export const TaskFieldsSchema = z.strictObject({
  name: NameSchema.optional(),
  description: z.string().trim().min(1).max(50000),
  expected_output: z.string().trim().min(1).max(20000),
  agent: z.string().trim().min(1).optional(),
  context: z.array(z.string().trim().min(1)).default([]),
  tools: z.array(ToolNameSchema).default([]),
  tool_configs: ToolConfigsSchema.default({}),
  async_execution: z.boolean().default(false),
  output_json: JsonSchemaObjectSchema.optional(),
  output_file: z.string().optional(),
  human_input: z.boolean().default(false),
  markdown: z.boolean().default(false),
  guardrail: GuardrailSchema.optional(),
  guardrail_max_retries: z.number().int().min(0).max(10).default(3),
  max_retries: z.number().int().min(0).max(10).optional(),
});

export const TaskSpecSchema = TaskFieldsSchema.meta({
  id: 'TaskSpec',
  description: 'A task definition; `agent` and `context` hold ids of saved agents and tasks.',
});

export type TaskSpec = z.infer<typeof TaskSpecSchema>;
