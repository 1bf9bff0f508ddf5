/**
 * The tool catalogue and a group's settings for it: which built-in tools are enabled, and
 * their settings, secrets sealed on the way in and never shown again.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { z } from 'zod';
import { schemaIssues } from '../../shared/compiler/tool-resolution';
import { openMap, sealMap, type SecretBox } from '../../shared/node/crypto/secret-box';
import { GroupToolEntity, type GroupTool } from '../../shared/node/db/entities';
import {
  BUILTIN_TOOL_MAP,
  BUILTIN_TOOLS,
  TOOL_OPTIONS_SCHEMA,
  type BuiltinTool,
} from '../../shared/tools/builtin-tools';
import { forbidden, notFound, validationError } from '../http/errors';
import type { AuthContext } from '../http/request-context';
import { privateAddressOf } from '../../shared/node/net/private-addresses';
import type { UpdateGroupToolSchema } from '../schemas/tools.schema';

export class ToolsService {
  constructor(private readonly secrets: SecretBox) {}

  /** Every built-in tool with the group's settings for it. */
  async catalogue(em: EntityManager, groupId: string) {
    const rows = await this.rows(em, groupId);
    return BUILTIN_TOOLS.map((tool) => describeTool(tool, rows.get(tool.name)));
  }

  async get(em: EntityManager, groupId: string, name: string) {
    const tool = findTool(name);
    const row = await em.findOne(GroupToolEntity, { groupId, toolName: tool.name });
    return describeTool(tool, row ?? undefined);
  }

  async groupSettings(em: EntityManager, groupId: string) {
    const rows = await this.rows(em, groupId);
    return BUILTIN_TOOLS.map((tool) => settingsOf(tool, rows.get(tool.name)));
  }

  /** Enables or disables a tool for the group and sets its settings. */
  async update(
    em: EntityManager,
    groupId: string,
    auth: AuthContext,
    name: string,
    input: z.output<typeof UpdateGroupToolSchema>,
  ) {
    const tool = findTool(name);
    const userId = auth.user.id;
    if (input.config !== undefined && !auth.user.isSystemAdmin) {
      await refuseOperatorNetwork(input.config);
    }
    const row =
      (await em.findOne(GroupToolEntity, { groupId, toolName: tool.name })) ??
      em.create(GroupToolEntity, {
        groupId,
        toolName: tool.name,
        enabled: true,
        config: {},
        secretsEncrypted: null,
        secretKeys: [],
        updatedBy: userId,
      });
    if (input.enabled !== undefined) row.enabled = input.enabled;
    if (input.config !== undefined) {
      const { config, secrets } = this.splitConfig(
        tool,
        input.config,
        openMap(this.secrets, row.secretsEncrypted),
      );
      row.config = config;
      row.secretKeys = Object.keys(secrets).sort();
      row.secretsEncrypted = sealMap(this.secrets, secrets);
    }
    row.updatedBy = userId;
    await em.flush();
    return settingsOf(tool, row);
  }

  private async rows(em: EntityManager, groupId: string): Promise<Map<string, GroupTool>> {
    const rows = await em.find(GroupToolEntity, { groupId });
    return new Map(rows.map((row) => [row.toolName, row]));
  }

  /** Validates new settings; secrets given as null are removed, secrets left out are kept. */
  private splitConfig(
    tool: BuiltinTool,
    input: Record<string, unknown>,
    currentSecrets: Record<string, string>,
  ) {
    const issues = schemaIssues(
      {
        type: 'object',
        properties: { ...tool.config_schema.properties, ...TOOL_OPTIONS_SCHEMA },
      },
      Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null)),
      'config',
    );
    for (const [key, value] of Object.entries(input)) {
      if (value === null && !tool.secrets.includes(key)) {
        issues.push({ path: `config.${key}`, message: 'only a secret setting can be null' });
      }
    }
    if (issues.length > 0) throw validationError(`settings for ${tool.name}`, issues);
    const secrets = { ...currentSecrets };
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) {
      if (!tool.secrets.includes(key)) config[key] = value;
      else if (value === null) delete secrets[key];
      else secrets[key] = value as string;
    }
    return { config, secrets };
  }
}

/**
 * Settings that reach into the operator's network (private addresses, loopback, the metadata
 * endpoint) are for system administrators: every user administers their personal group.
 */
async function refuseOperatorNetwork(config: Record<string, unknown>): Promise<void> {
  if (config.allow_private_networks === true) {
    throw forbidden('Only a system administrator can let a tool reach private networks');
  }
  for (const key of ['base_url', 'connection_url']) {
    const value = config[key];
    const blocked = typeof value === 'string' ? await privateAddressOf(value) : undefined;
    if (blocked !== undefined) {
      throw forbidden(
        `${key} points at the private or loopback address ${blocked}: only a system administrator can set that`,
      );
    }
  }
}

function findTool(name: string): BuiltinTool {
  const tool = BUILTIN_TOOL_MAP.get(name);
  if (!tool) throw notFound('Tool', name);
  return tool;
}

function settingsOf(tool: BuiltinTool, row: GroupTool | undefined) {
  return {
    name: tool.name,
    enabled: row?.enabled ?? true,
    config: row?.config ?? {},
    secrets_set: row?.secretKeys ?? [],
  };
}

function describeTool(tool: BuiltinTool, row: GroupTool | undefined) {
  return {
    ...settingsOf(tool, row),
    title: tool.title,
    description: tool.description,
    aliases: [...tool.aliases],
    parameters: tool.parameters,
    config_schema: {
      type: 'object',
      properties: { ...tool.config_schema.properties, ...TOOL_OPTIONS_SCHEMA },
      additionalProperties: false,
    },
    group_settings: [...tool.group_only],
    secret_settings: [...tool.secrets],
    env: { ...tool.env },
  };
}
