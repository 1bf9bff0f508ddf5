/**
 * A group's webhooks. Signing secrets are stored encrypted and shown once, when created. A URL
 * inside the operator's network (loopback, private, link-local) is refused unless the operator
 * allows it (KASAL_WEBHOOKS_ALLOW_PRIVATE_NETWORKS); deliveries check again.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { z } from 'zod';
import type { SecretBox } from '../../shared/node/crypto/secret-box';
import { WebhookEntity, type Webhook } from '../../shared/node/db/entities';
import { notFound } from '../http/errors';
import type { CreateWebhookSchema, UpdateWebhookSchema } from '../schemas/hitl.schema';
import { refusePrivateUrl } from './private-urls';
import { iso } from './serialize';

export class WebhooksService {
  constructor(
    private readonly secrets: SecretBox,
    private readonly allowPrivateNetworks: boolean,
  ) {}

  async list(em: EntityManager, groupId: string) {
    return (await em.find(WebhookEntity, { groupId }, { orderBy: { createdAt: 'asc' } })).map(
      serializeWebhook,
    );
  }

  async create(
    em: EntityManager,
    groupId: string,
    userId: string,
    input: z.output<typeof CreateWebhookSchema>,
  ) {
    await this.checkUrl(input.url);
    const secret = input.secret ?? randomBytes(32).toString('base64url');
    const webhook = em.create(WebhookEntity, {
      groupId,
      name: input.name,
      url: input.url,
      events: input.events,
      enabled: input.enabled,
      secretEncrypted: this.secrets.seal(secret),
      createdBy: userId,
    });
    await em.flush();
    return { ...serializeWebhook(webhook), secret };
  }

  async update(
    em: EntityManager,
    groupId: string,
    id: string,
    input: z.output<typeof UpdateWebhookSchema>,
  ) {
    const webhook = await this.find(em, groupId, id);
    if (input.name !== undefined) webhook.name = input.name;
    if (input.url !== undefined && input.url !== webhook.url) {
      await this.checkUrl(input.url);
      webhook.url = input.url;
    }
    if (input.events !== undefined) webhook.events = input.events;
    if (input.enabled !== undefined) webhook.enabled = input.enabled;
    if (input.secret !== undefined) webhook.secretEncrypted = this.secrets.seal(input.secret);
    await em.flush();
    return serializeWebhook(webhook);
  }

  async delete(em: EntityManager, groupId: string, id: string): Promise<void> {
    em.remove(await this.find(em, groupId, id));
    await em.flush();
  }

  private async checkUrl(url: string): Promise<void> {
    if (this.allowPrivateNetworks) return;
    await refusePrivateUrl(
      'webhook',
      'url',
      url,
      'the operator sets KASAL_WEBHOOKS_ALLOW_PRIVATE_NETWORKS',
    );
  }

  private async find(em: EntityManager, groupId: string, id: string): Promise<Webhook> {
    const webhook = await em.findOne(WebhookEntity, { id, groupId });
    if (!webhook) throw notFound('Webhook', id);
    return webhook;
  }
}

export function serializeWebhook(webhook: Webhook) {
  return {
    id: webhook.id,
    group_id: webhook.groupId,
    name: webhook.name,
    url: webhook.url,
    events: webhook.events as (
      'gate_reached' | 'gate_approved' | 'gate_rejected' | 'gate_timeout'
    )[],
    enabled: webhook.enabled,
    created_at: iso(webhook.createdAt),
    updated_at: iso(webhook.updatedAt),
  };
}
