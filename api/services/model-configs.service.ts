/**
 * A group's model configs; API keys are sealed on the way in and never come back out. A config's
 * base URL must not be inside the operator's network (loopback, private, link-local, cloud
 * metadata) unless a system administrator allowed that for it, or the operator for all.
 */
import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { z } from 'zod';
import type { SecretBox } from '../../shared/node/crypto/secret-box';
import { ModelConfigEntity, type ModelConfig } from '../../shared/node/db/entities';
import type { AuthContext } from '../http/request-context';
import { conflict, forbidden, notFound, validationError } from '../http/errors';
import type { CreateModelConfigSchema, UpdateModelConfigSchema } from '../schemas/model.schema';
import { refusePrivateUrl } from './private-urls';
import { iso } from './serialize';

export class ModelConfigsService {
  constructor(
    private readonly secrets: SecretBox,
    /** KASAL_MODELS_ALLOW_PRIVATE_NETWORKS: every config may reach private networks. */
    private readonly allowPrivateNetworks: boolean,
  ) {}

  async list(em: EntityManager, groupId: string) {
    const configs = await em.find(ModelConfigEntity, { groupId }, { orderBy: { name: 'asc' } });
    return configs.map(serializeModelConfig);
  }

  async get(em: EntityManager, groupId: string, id: string) {
    return serializeModelConfig(await this.find(em, groupId, id));
  }

  async create(
    em: EntityManager,
    groupId: string,
    auth: AuthContext,
    input: z.output<typeof CreateModelConfigSchema>,
  ) {
    if (input.allow_private_networks) refuseUnlessSystemAdmin(auth);
    const config = em.create(ModelConfigEntity, {
      groupId,
      name: input.name,
      provider: input.provider,
      model: input.model,
      baseUrl: input.base_url ?? null,
      allowPrivateNetworks: input.allow_private_networks,
      apiKeyEncrypted: input.api_key ? this.secrets.seal(input.api_key) : null,
      inputCostPerMillion: input.input_cost_per_million_tokens ?? null,
      outputCostPerMillion: input.output_cost_per_million_tokens ?? null,
      contextWindow: input.context_window ?? null,
      supportsStructuredOutput: input.supports_structured_output ?? null,
      createdBy: auth.user.id,
    });
    await this.save(em, config, true);
    return serializeModelConfig(config);
  }

  async update(
    em: EntityManager,
    groupId: string,
    auth: AuthContext,
    id: string,
    input: z.output<typeof UpdateModelConfigSchema>,
  ) {
    const config = await this.find(em, groupId, id);
    if (input.name !== undefined) config.name = input.name;
    if (input.provider !== undefined) config.provider = input.provider;
    if (input.model !== undefined) config.model = input.model;
    const moves = input.base_url !== undefined && input.base_url !== config.baseUrl;
    if (moves) {
      config.baseUrl = input.base_url ?? null;
      // The stored key never follows the config to another endpoint: a new one must be given.
      if (input.api_key === undefined) config.apiKeyEncrypted = null;
      // Nor does a system administrator's permission, when someone else moves it.
      if (!auth.user.isSystemAdmin) config.allowPrivateNetworks = false;
    }
    if (input.allow_private_networks !== undefined) {
      if (input.allow_private_networks) refuseUnlessSystemAdmin(auth);
      config.allowPrivateNetworks = input.allow_private_networks;
    }
    if (input.api_key !== undefined) {
      config.apiKeyEncrypted = input.api_key === null ? null : this.secrets.seal(input.api_key);
    }
    if (input.input_cost_per_million_tokens !== undefined) {
      config.inputCostPerMillion = input.input_cost_per_million_tokens;
    }
    if (input.output_cost_per_million_tokens !== undefined) {
      config.outputCostPerMillion = input.output_cost_per_million_tokens;
    }
    if (input.context_window !== undefined) config.contextWindow = input.context_window;
    if (input.supports_structured_output !== undefined) {
      config.supportsStructuredOutput = input.supports_structured_output;
    }
    await this.save(em, config, moves || input.allow_private_networks !== undefined);
    return serializeModelConfig(config);
  }

  async delete(em: EntityManager, groupId: string, id: string): Promise<void> {
    em.remove(await this.find(em, groupId, id));
    await em.flush();
  }

  private async find(em: EntityManager, groupId: string, id: string): Promise<ModelConfig> {
    const config = await em.findOne(ModelConfigEntity, { id, groupId });
    if (!config) throw notFound('Model config', id);
    return config;
  }

  /** Checks and writes the config; `where` says whether its endpoint (or permission) changed. */
  private async save(em: EntityManager, config: ModelConfig, where: boolean): Promise<void> {
    if ((config.inputCostPerMillion == null) !== (config.outputCostPerMillion == null)) {
      // Nothing is flushed: the entity manager is per request and dropped with the error.
      throw validationError('model config', [
        {
          path:
            config.inputCostPerMillion == null
              ? 'input_cost_per_million_tokens'
              : 'output_cost_per_million_tokens',
          message: 'set both prices or neither',
        },
      ]);
    }
    if (where && config.baseUrl && !config.allowPrivateNetworks && !this.allowPrivateNetworks) {
      await refusePrivateUrl(
        'model config',
        'base_url',
        config.baseUrl,
        'a system administrator sets allow_private_networks on the config (or the operator sets KASAL_MODELS_ALLOW_PRIVATE_NETWORKS)',
      );
    }
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw conflict(`A model config named '${config.name}' already exists in this group`);
      }
      throw error;
    }
  }
}

export function serializeModelConfig(config: ModelConfig) {
  return {
    id: config.id,
    group_id: config.groupId,
    name: config.name,
    provider: config.provider,
    model: config.model,
    base_url: config.baseUrl ?? null,
    allow_private_networks: config.allowPrivateNetworks,
    has_api_key: Boolean(config.apiKeyEncrypted),
    input_cost_per_million_tokens: config.inputCostPerMillion ?? null,
    output_cost_per_million_tokens: config.outputCostPerMillion ?? null,
    context_window: config.contextWindow ?? null,
    supports_structured_output: config.supportsStructuredOutput ?? null,
    created_at: iso(config.createdAt),
    updated_at: iso(config.updatedAt),
  };
}

function refuseUnlessSystemAdmin(auth: AuthContext): void {
  if (!auth.user.isSystemAdmin) {
    throw forbidden(
      "Only a system administrator can let a model config reach the operator's private networks",
    );
  }
}
