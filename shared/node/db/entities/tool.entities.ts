/** A group's tool settings and its MCP servers. Secrets are stored encrypted (secret-box). */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamps, uuidPrimaryKey } from './common-columns';

/** One built-in tool's settings in a group; a tool without a row is enabled with none. */
export const GroupToolEntity = defineEntity({
  name: 'GroupTool',
  tableName: 'group_tools',
  uniques: [{ properties: ['groupId', 'toolName'] }],
  properties: {
    id: uuidPrimaryKey(),
    groupId: p.uuid().index(),
    toolName: p.string().length(200),
    enabled: p.boolean().default(true),
    /** Settings that are not secrets. */
    config: p.json<Record<string, unknown>>(),
    /** AES-256-GCM ciphertext of a JSON object of the secret settings. */
    secretsEncrypted: p.text().nullable().hidden(),
    /** The names of the secret settings that have a value. */
    secretKeys: p.json<string[]>(),
    updatedBy: p.uuid(),
    ...timestamps(),
  },
});

export const MCP_TRANSPORTS = ['stdio', 'streamable-http', 'sse'] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

/** An MCP server a group's agents may use. */
export const McpServerEntity = defineEntity({
  name: 'McpServer',
  tableName: 'mcp_servers',
  uniques: [{ properties: ['groupId', 'name'] }],
  properties: {
    id: uuidPrimaryKey(),
    groupId: p.uuid().index(),
    /** What agents and tasks write in `tool_configs.MCP_SERVERS.servers`. */
    name: p.string().length(200),
    transport: p.enum(MCP_TRANSPORTS),
    /** stdio: the command the worker starts, its arguments. */
    command: p.string().length(2000).nullable(),
    args: p.json<string[]>(),
    /** streamable-http and sse: the server's URL. */
    url: p.string().length(2000).nullable(),
    /** Ciphertext of a JSON object: stdio environment variables; their names in clear. */
    envEncrypted: p.text().nullable().hidden(),
    envKeys: p.json<string[]>(),
    /** Ciphertext of a JSON object: HTTP headers sent with every request; their names in clear. */
    headersEncrypted: p.text().nullable().hidden(),
    headerNames: p.json<string[]>(),
    /** Ciphertext of an API key sent as `Authorization: Bearer <key>`. */
    apiKeyEncrypted: p.text().nullable().hidden(),
    timeoutSeconds: p.integer().default(60),
    enabled: p.boolean().default(true),
    createdBy: p.uuid(),
    ...timestamps(),
  },
});

export type GroupTool = InferEntity<typeof GroupToolEntity>;
export type McpServer = InferEntity<typeof McpServerEntity>;
