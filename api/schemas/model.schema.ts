import { z } from 'zod';
import { MODEL_PROVIDERS } from '../../shared/node/db/entities/model-config.entity';

export const ModelConfigSchema = z
  .object({
    id: z.uuid(),
    group_id: z.uuid(),
    name: z.string(),
    provider: z.enum(MODEL_PROVIDERS),
    model: z.string(),
    base_url: z.string().nullable(),
    allow_private_networks: z
      .boolean()
      .describe('base_url may be a loopback or private address (set by a system administrator)'),
    has_api_key: z.boolean().describe('The key itself is never returned'),
    input_cost_per_million_tokens: z.number().nullable(),
    output_cost_per_million_tokens: z.number().nullable(),
    context_window: z
      .number()
      .int()
      .nullable()
      .describe('Tokens; null: the known size of well-known models'),
    supports_structured_output: z
      .boolean()
      .nullable()
      .describe(
        'Whether tasks with `output_json` ask this model for it with `response_format: json_schema`; null: known model families decide',
      ),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'ModelConfig' });

const price = (tokens: string) =>
  z
    .number()
    .min(0)
    .max(100_000)
    .nullable()
    .optional()
    .describe(`USD per million ${tokens} tokens, for cost totals (set both prices or neither)`);

const fields = {
  name: z.string().trim().min(1).max(200).describe('What agents write in `llm`'),
  provider: z.enum(MODEL_PROVIDERS).default('openai_compatible'),
  model: z.string().trim().min(1).max(200).describe('The model name the endpoint expects'),
  base_url: z
    .url()
    .nullable()
    .optional()
    .describe(
      'OpenAI-compatible base URL (…/v1); loopback, private and link-local addresses are refused unless allow_private_networks',
    ),
  allow_private_networks: z
    .boolean()
    .describe(
      'Let base_url be a loopback or private address (a local Ollama or vLLM): system administrators only',
    ),
  api_key: z
    .string()
    .min(1)
    .max(4000)
    .nullable()
    .optional()
    .describe('Write-only; stored encrypted'),
  input_cost_per_million_tokens: price('prompt'),
  output_cost_per_million_tokens: price('completion'),
  context_window: z
    .number()
    .int()
    .min(1000)
    .max(100_000_000)
    .nullable()
    .optional()
    .describe(
      "The model's context window in tokens; longer conversations are summarised (respect_context_window)",
    ),
  supports_structured_output: z
    .boolean()
    .nullable()
    .optional()
    .describe(
      'Whether the endpoint takes `response_format: {type: "json_schema"}`, so tasks with `output_json` ask for it (the JSON Schema instruction in the prompt stays); null or absent: true for known OpenAI model families (gpt-4o, gpt-4.1, gpt-5, o1, o3, o4) and Databricks Foundation Model APIs, false for others',
    ),
};

export const CreateModelConfigSchema = z
  .strictObject({ ...fields, allow_private_networks: fields.allow_private_networks.default(false) })
  .meta({ id: 'CreateModelConfig' });
export const UpdateModelConfigSchema = z
  .strictObject({
    name: fields.name.optional(),
    provider: z.enum(MODEL_PROVIDERS).optional(),
    model: fields.model.optional(),
    base_url: fields.base_url,
    allow_private_networks: fields.allow_private_networks
      .optional()
      .describe(
        'System administrators only (to set it); moving base_url clears it unless a system administrator moves it',
      ),
    api_key: fields.api_key.describe('A new key, or null to remove it'),
    input_cost_per_million_tokens: fields.input_cost_per_million_tokens,
    output_cost_per_million_tokens: fields.output_cost_per_million_tokens,
    context_window: fields.context_window,
    supports_structured_output: fields.supports_structured_output,
  })
  .meta({ id: 'UpdateModelConfig' });
