/**
 * Where an LLM call goes: a group's model config (base URL, decrypted key) or the platform
 * default (OPENAI_BASE_URL / OPENAI_API_KEY). Secrets are looked up here, at call time, so they
 * never enter workflow inputs or history. A config's own base URL is the group's choice, so it
 * may not reach private networks unless allowed; the default endpoint is the operator's.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE_TYPES } from '../../shared/errors';
import type { ModelPrices } from '../../shared/llm/chat';
import { knownContextWindow } from '../../shared/llm/context-windows';
import { knownStructuredOutput } from '../../shared/llm/structured-output';
import type { ModelSettings } from '../../shared/plan/crew-plan';
import type { SecretBox } from '../../shared/node/crypto/secret-box';
import { ModelConfigEntity } from '../../shared/node/db/entities';
import type { Orm } from '../../shared/node/db/orm';

export interface ResolvedModel {
  baseURL?: string;
  apiKey: string;
  /** Whether `baseURL` may be (or resolve to) a loopback, private or link-local address. */
  allowPrivateNetworks: boolean;
  model: string;
  /** From the model config, when it has prices: what each call costs. */
  prices?: ModelPrices;
  /** Tokens the model reads at most: the config's, else the known size of the model. */
  contextWindow: number;
  /** Takes `response_format: json_schema`: the config says so, else the model is known to. */
  structuredOutput: boolean;
}

/** OpenAI-compatible servers without auth (Ollama, vLLM) still need a non-empty key. */
const NO_KEY = 'no-key';

export type ModelResolver = (groupId: string, settings: ModelSettings) => Promise<ResolvedModel>;

export function createModelResolver(deps: {
  orm: Orm;
  secrets: SecretBox;
  defaults: { baseUrl?: string; apiKey?: string };
  /** KASAL_MODELS_ALLOW_PRIVATE_NETWORKS: every model config may reach private networks. */
  modelsAllowPrivateNetworks: boolean;
}): ModelResolver {
  return async (groupId, settings) => {
    if (settings.config_id === undefined) {
      if (!deps.defaults.apiKey && !deps.defaults.baseUrl) {
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.llmAuth,
          nonRetryable: true,
          message: `No LLM is configured for model '${settings.model}': set OPENAI_API_KEY (and OPENAI_BASE_URL) or create a model config with that name`,
        });
      }
      return {
        ...(deps.defaults.baseUrl && { baseURL: deps.defaults.baseUrl }),
        apiKey: deps.defaults.apiKey ?? NO_KEY,
        allowPrivateNetworks: true,
        model: settings.model,
        contextWindow: knownContextWindow(settings.model),
        structuredOutput: knownStructuredOutput(settings.model),
      };
    }
    const config = await deps.orm.em
      .fork()
      .findOne(ModelConfigEntity, { id: settings.config_id, groupId });
    if (!config) {
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.llmBadRequest,
        nonRetryable: true,
        message: `The model config for '${settings.model}' was deleted while the execution ran`,
      });
    }
    const baseURL = config.baseUrl ?? deps.defaults.baseUrl;
    return {
      ...(baseURL && { baseURL }),
      apiKey: config.apiKeyEncrypted ? deps.secrets.open(config.apiKeyEncrypted) : NO_KEY,
      // Without a base URL of its own, the config uses the operator's endpoint.
      allowPrivateNetworks:
        !config.baseUrl || config.allowPrivateNetworks || deps.modelsAllowPrivateNetworks,
      model: config.model,
      contextWindow: config.contextWindow ?? knownContextWindow(config.model),
      structuredOutput:
        config.supportsStructuredOutput ?? knownStructuredOutput(config.model, config.provider),
      ...(config.inputCostPerMillion != null &&
        config.outputCostPerMillion != null && {
          prices: {
            input_per_million: config.inputCostPerMillion,
            output_per_million: config.outputCostPerMillion,
          },
        }),
    };
  };
}
