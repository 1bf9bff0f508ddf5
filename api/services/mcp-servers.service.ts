/**
 * A group's MCP servers. Headers, environment and API keys are sealed on the way in and never
 * come back out. A stdio server runs a command on the workers, so only system administrators
 * may register or change one.
 */
import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { z } from 'zod';
import type { FieldIssue } from '../../shared/errors';
import type { SecretBox } from '../../shared/node/crypto/secret-box';
import { McpServerEntity, type McpServer } from '../../shared/node/db/entities';
import { connectMcp, listAllTools, serverSettings } from '../../shared/node/mcp/mcp-client';
import type { AuthContext } from '../http/request-context';
import { conflict, forbidden, notFound, validationError } from '../http/errors';
import type { CreateMcpServerSchema, UpdateMcpServerSchema } from '../schemas/tools.schema';
import { iso } from './serialize';

type CreateInput = z.output<typeof CreateMcpServerSchema>;
type UpdateInput = z.output<typeof UpdateMcpServerSchema>;

export class McpServersService {
  constructor(private readonly secrets: SecretBox) {}

  async list(em: EntityManager, groupId: string) {
    const rows = await em.find(McpServerEntity, { groupId }, { orderBy: { name: 'asc' } });
    return rows.map((row) => this.serialize(row));
  }

  async get(em: EntityManager, groupId: string, id: string) {
    return this.serialize(await this.find(em, groupId, id));
  }

  async create(em: EntityManager, groupId: string, auth: AuthContext, input: CreateInput) {
    const row = em.create(McpServerEntity, {
      groupId,
      name: input.name,
      transport: input.transport,
      command: input.command ?? null,
      args: input.args ?? [],
      url: input.url ?? null,
      envEncrypted: this.sealJson(input.env),
      headersEncrypted: this.sealJson(input.headers),
      apiKeyEncrypted: input.api_key ? this.secrets.seal(input.api_key) : null,
      timeoutSeconds: input.timeout_seconds ?? 60,
      enabled: input.enabled ?? true,
      createdBy: auth.user.id,
    });
    return this.save(em, row, auth, true);
  }

  async update(
    em: EntityManager,
    groupId: string,
    auth: AuthContext,
    id: string,
    input: UpdateInput,
  ) {
    const row = await this.find(em, groupId, id);
    const runsCommand = row.transport === 'stdio';
    if (input.name !== undefined) row.name = input.name;
    if (input.transport !== undefined) row.transport = input.transport;
    if (input.command !== undefined) row.command = input.command;
    if (input.args !== undefined) row.args = input.args;
    if (input.url !== undefined && input.url !== row.url) {
      row.url = input.url;
      // Credentials never follow a server to another address unless given again.
      if (input.headers === undefined) row.headersEncrypted = null;
      if (input.api_key === undefined) row.apiKeyEncrypted = null;
    }
    if (input.env !== undefined) row.envEncrypted = this.sealJson(input.env ?? undefined);
    if (input.headers !== undefined) {
      row.headersEncrypted = this.sealJson(input.headers ?? undefined);
    }
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
    return this.save(em, row, auth, runsCommand || changesCommand);
  }

  async delete(em: EntityManager, groupId: string, id: string): Promise<void> {
    em.remove(await this.find(em, groupId, id));
    await em.flush();
  }

  /** Connects as a worker would, and lists the server's tools. */
  async test(em: EntityManager, groupId: string, id: string) {
    const settings = serverSettings(await this.find(em, groupId, id), this.secrets);
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
        error: `Could not reach MCP server '${settings.name}': ${(error as Error).message}`,
        latency_ms: Math.round(performance.now() - started),
      };
    }
  }

  private async save(em: EntityManager, row: McpServer, auth: AuthContext, touchesStdio: boolean) {
    const issues = transportIssues(row);
    if (issues.length > 0) throw validationError('MCP server', issues);
    if (row.transport === 'stdio' && touchesStdio && !auth.user.isSystemAdmin) {
      throw forbidden(
        'A stdio MCP server runs a command on the workers: only a system administrator can register or change one',
      );
    }
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw conflict(`An MCP server named '${row.name}' already exists in this group`);
      }
      throw error;
    }
    return this.serialize(row);
  }

  private async find(em: EntityManager, groupId: string, id: string): Promise<McpServer> {
    const row = await em.findOne(McpServerEntity, { id, groupId });
    if (!row) throw notFound('MCP server', id);
    return row;
  }

  private sealJson(value: Record<string, string> | undefined): string | null {
    return value && Object.keys(value).length > 0 ? this.secrets.seal(JSON.stringify(value)) : null;
  }

  private serialize(row: McpServer) {
    const keys = (sealed: string | null | undefined) =>
      sealed ? Object.keys(JSON.parse(this.secrets.open(sealed)) as object).sort() : [];
    return {
      id: row.id,
      group_id: row.groupId,
      name: row.name,
      transport: row.transport,
      command: row.command ?? null,
      args: row.args,
      url: row.url ?? null,
      env_keys: keys(row.envEncrypted),
      header_names: keys(row.headersEncrypted),
      has_api_key: Boolean(row.apiKeyEncrypted),
      timeout_seconds: row.timeoutSeconds,
      enabled: row.enabled,
      created_at: iso(row.createdAt),
      updated_at: iso(row.updatedAt),
    };
  }
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
