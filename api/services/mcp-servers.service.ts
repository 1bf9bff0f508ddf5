/**
 * A group's MCP servers. Headers, environment and API keys are sealed on the way in and never
 * come back out. A stdio server runs a command on the workers, and a server on a private or
 * loopback address is inside the operator's network: only system administrators may register
 * or change (or, for stdio, test) those.
 */
import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { z } from 'zod';
import type { FieldIssue } from '../../shared/errors';
import { sealMap, type SecretBox } from '../../shared/node/crypto/secret-box';
import { McpServerEntity, type McpServer } from '../../shared/node/db/entities';
import {
  connectMcp,
  describeMcpFailure,
  listAllTools,
  serverSettings,
} from '../../shared/node/mcp/mcp-client';
import { privateAddressOf } from '../../shared/node/net/private-addresses';
import { roleAllows } from '../../shared/roles';
import type { AuthContext, GroupContext } from '../http/request-context';
import { conflict, forbidden, notFound, validationError } from '../http/errors';
import type { CreateMcpServerSchema, UpdateMcpServerSchema } from '../schemas/tools.schema';
import { iso } from './serialize';

type CreateInput = z.output<typeof CreateMcpServerSchema>;
type UpdateInput = z.output<typeof UpdateMcpServerSchema>;

export class McpServersService {
  constructor(private readonly secrets: SecretBox) {}

  async list(em: EntityManager, group: GroupContext) {
    const rows = await em.find(
      McpServerEntity,
      { groupId: group.id },
      { orderBy: { name: 'asc' } },
    );
    return rows.map((row) => serialize(row, group));
  }

  async get(em: EntityManager, group: GroupContext, id: string) {
    return serialize(await this.find(em, group.id, id), group);
  }

  async create(em: EntityManager, group: GroupContext, auth: AuthContext, input: CreateInput) {
    const row = em.create(McpServerEntity, {
      groupId: group.id,
      name: input.name,
      transport: input.transport,
      command: input.command ?? null,
      args: input.args ?? [],
      url: input.url ?? null,
      envEncrypted: sealMap(this.secrets, input.env),
      envKeys: keysOf(input.env),
      headersEncrypted: sealMap(this.secrets, input.headers),
      headerNames: keysOf(input.headers),
      apiKeyEncrypted: input.api_key ? this.secrets.seal(input.api_key) : null,
      timeoutSeconds: input.timeout_seconds ?? 60,
      enabled: input.enabled ?? true,
      createdBy: auth.user.id,
    });
    await this.save(em, row, auth, true);
    return serialize(row, group);
  }

  async update(
    em: EntityManager,
    group: GroupContext,
    auth: AuthContext,
    id: string,
    input: UpdateInput,
  ) {
    const row = await this.find(em, group.id, id);
    const runsCommand = row.transport === 'stdio';
    if (input.name !== undefined) row.name = input.name;
    if (input.transport !== undefined) row.transport = input.transport;
    if (input.command !== undefined) row.command = input.command;
    if (input.args !== undefined) row.args = input.args;
    if (input.url !== undefined && input.url !== row.url) {
      row.url = input.url;
      // Credentials never follow a server to another address unless given again.
      if (input.headers === undefined) this.setHeaders(row, undefined);
      if (input.api_key === undefined) row.apiKeyEncrypted = null;
    }
    if (input.env !== undefined) {
      row.envEncrypted = sealMap(this.secrets, input.env ?? undefined);
      row.envKeys = keysOf(input.env ?? undefined);
    }
    if (input.headers !== undefined) this.setHeaders(row, input.headers ?? undefined);
    if (input.api_key !== undefined) {
      row.apiKeyEncrypted = input.api_key === null ? null : this.secrets.seal(input.api_key);
    }
    if (input.timeout_seconds !== undefined) row.timeoutSeconds = input.timeout_seconds;
    if (input.enabled !== undefined) row.enabled = input.enabled;
    const changesCommand =
      input.command !== undefined ||
      input.args !== undefined ||
      input.env !== undefined ||
      input.transport !== undefined;
    await this.save(em, row, auth, runsCommand || changesCommand || input.url !== undefined);
    return serialize(row, group);
  }

  async delete(em: EntityManager, groupId: string, id: string): Promise<void> {
    em.remove(await this.find(em, groupId, id));
    await em.flush();
  }

  /** Connects as a worker would, and lists the server's tools. */
  async test(em: EntityManager, groupId: string, auth: AuthContext, id: string) {
    const row = await this.find(em, groupId, id);
    if (row.transport === 'stdio' && !auth.user.isSystemAdmin) {
      throw forbidden(
        'Testing a stdio MCP server runs its command: only a system administrator can',
      );
    }
    const settings = serverSettings(row, this.secrets);
    const started = performance.now();
    try {
      const client = await connectMcp(settings);
      try {
        const tools = await listAllTools(client, settings.timeoutMs);
        return {
          ok: true,
          tools: tools.map((tool) => ({ name: tool.name, description: tool.description ?? '' })),
          latency_ms: Math.round(performance.now() - started),
        };
      } finally {
        await client.close();
      }
    } catch (error) {
      return {
        ok: false,
        tools: [],
        error: `Could not reach MCP server '${settings.name}': ${describeMcpFailure(error).reason}`,
        latency_ms: Math.round(performance.now() - started),
      };
    }
  }

  /** Checks and writes the row; `where` says whether the command or address changed. */
  private async save(em: EntityManager, row: McpServer, auth: AuthContext, where: boolean) {
    const issues = transportIssues(row);
    if (issues.length > 0) throw validationError('MCP server', issues);
    if (where && !auth.user.isSystemAdmin) {
      if (row.transport === 'stdio') {
        throw forbidden(
          'A stdio MCP server runs a command on the workers: only a system administrator can register or change one',
        );
      }
      const blocked = row.url ? await privateAddressOf(row.url) : undefined;
      if (blocked !== undefined) {
        throw forbidden(
          `${row.url} is the private or loopback address ${blocked}: only a system administrator can register a server inside the operator's network`,
        );
      }
    }
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw conflict(`An MCP server named '${row.name}' already exists in this group`);
      }
      throw error;
    }
  }

  private async find(em: EntityManager, groupId: string, id: string): Promise<McpServer> {
    const row = await em.findOne(McpServerEntity, { id, groupId });
    if (!row) throw notFound('MCP server', id);
    return row;
  }

  private setHeaders(row: McpServer, headers: Record<string, string> | undefined): void {
    row.headersEncrypted = sealMap(this.secrets, headers);
    row.headerNames = keysOf(headers);
  }
}

const keysOf = (map: Record<string, string> | undefined) => Object.keys(map ?? {}).sort();

/**
 * The server as members see it: secrets only by name. URLs and arguments often carry tokens
 * too, so only group admins see them whole; others see the URL's origin.
 */
function serialize(row: McpServer, group: GroupContext) {
  const admin = roleAllows(group.role, 'group:manage');
  return {
    id: row.id,
    group_id: row.groupId,
    name: row.name,
    transport: row.transport,
    command: row.command ?? null,
    args: admin ? row.args : [],
    url: row.url && !admin ? new URL(row.url).origin : (row.url ?? null),
    env_keys: row.envKeys,
    header_names: row.headerNames,
    has_api_key: Boolean(row.apiKeyEncrypted),
    timeout_seconds: row.timeoutSeconds,
    enabled: row.enabled,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/** stdio needs a command and no URL; the HTTP transports need a URL and no command. */
function transportIssues(row: McpServer): FieldIssue[] {
  if (row.transport === 'stdio') {
    return [
      ...(row.command ? [] : [{ path: 'command', message: 'is required for stdio' }]),
      ...(row.url ? [{ path: 'url', message: 'is for streamable-http and sse, not stdio' }] : []),
    ];
  }
  return [
    ...(row.url ? [] : [{ path: 'url', message: `is required for ${row.transport}` }]),
    ...(row.command ? [{ path: 'command', message: `is for stdio, not ${row.transport}` }] : []),
  ];
}
