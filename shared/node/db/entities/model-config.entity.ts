/** A group's LLM endpoint: any OpenAI-compatible server. Its API key is encrypted at rest. */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamps, uuidPrimaryKey } from './common-columns';

export const MODEL_PROVIDERS = [
  'openai',
  'azure',
  'databricks',
  'ollama',
  'vllm',
  'openai_compatible',
] as const;

export const ModelConfigEntity = defineEntity({
  name: 'ModelConfig',
  tableName: 'model_configs',
  uniques: [{ properties: ['groupId', 'name'] }],
  properties: {
    id: uuidPrimaryKey(),
    groupId: p.uuid().index(),
    /** What agents write in `llm`. */
    name: p.string().length(200),
    provider: p.enum(MODEL_PROVIDERS),
    /** The model name the endpoint expects. */
    model: p.string().length(200),
    baseUrl: p.string().length(2000).nullable(),
    /**
     * Set by a system administrator: `baseUrl` may be a loopback or private address (a local
     * Ollama or vLLM). Otherwise the worker refuses to connect to one.
     */
    allowPrivateNetworks: p.boolean().default(false),
    /** AES-256-GCM ciphertext of the API key (see shared/node/crypto/secret-box.ts). */
    apiKeyEncrypted: p.text().nullable().hidden(),
    /** Prices in USD per million tokens, for cost totals; both or neither. */
    inputCostPerMillion: p.double().runtimeType('number').$type<number>().nullable(),
    outputCostPerMillion: p.double().runtimeType('number').$type<number>().nullable(),
    /** The model's context window in tokens; absent: the known size of well-known models. */
    contextWindow: p.integer().nullable(),
    /**
     * Whether the endpoint takes `response_format: json_schema` (structured output); absent:
     * known for well-known model families.
     */
    supportsStructuredOutput: p.boolean().nullable(),
    createdBy: p.uuid(),
    ...timestamps(),
  },
});

export type ModelConfig = InferEntity<typeof ModelConfigEntity>;
