/** Bodies of the tool catalogue, group tool settings and MCP server endpoints. */
import { z } from 'zod';
import { MCP_TRANSPORTS } from '../../shared/node/db/entities/tool.entities';

const JsonObject = z.record(z.string(), z.unknown());

export const GroupToolSettingsSchema = z
  .object({
    name: z.string(),
    enabled: z.boolean(),
    config: JsonObject.describe('Settings that are not secrets'),
    secrets_set: z.array(z.string()).describe('Secret settings that have a value (never shown)'),
  })
  .meta({ id: 'GroupToolSettings' });

export const ToolSchema = GroupToolSettingsSchema.extend({
  title: z.string(),
  description: z.string(),
  aliases: z.array(z.string()).describe('Kasal/CrewAI names that mean this tool'),
  parameters: JsonObject.describe("JSON Schema of the tool's arguments"),
  config_schema: JsonObject.describe(
    'JSON Schema of its settings (including result_as_answer, timeout_seconds, cache)',
  ),
  group_settings: z
    .array(z.string())
    .describe('Settings only group admins set (in /group-tools), never in tool_configs'),
  secret_settings: z.array(z.string()).describe('Settings stored encrypted, never returned'),
  env: z.record(z.string(), z.string()).describe('Environment variables that supply a setting'),
}).meta({ id: 'Tool' });

export const UpdateGroupToolSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    config: JsonObject.optional().describe(
      'Replaces the settings; a secret setting given as null is removed, left out it is kept',
    ),
  })
  .meta({ id: 'UpdateGroupTool' });

export const ToolNameParamsSchema = z.object({ name: z.string().min(1).max(200) });

const StringMap = z.record(z.string().min(1).max(200), z.string().max(10_000));
const fields = {
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe('What agents and tasks write in tool_configs.MCP_SERVERS.servers'),
  transport: z.enum(MCP_TRANSPORTS),
  command: z.string().trim().min(1).max(2000).optional().describe('stdio: the command to start'),
  args: z.array(z.string().max(2000)).max(100).optional().describe('stdio: its arguments'),
  env: StringMap.optional().describe('stdio: environment variables (stored encrypted)'),
  url: z.url().max(2000).optional().describe('streamable-http and sse: the server URL'),
  headers: StringMap.optional().describe('HTTP headers sent with every request (stored encrypted)'),
  api_key: z
    .string()
    .min(1)
    .max(4000)
    .optional()
    .describe('Sent as Authorization: Bearer (stored encrypted)'),
  timeout_seconds: z.number().int().min(1).max(3600).optional().describe('One call (default 60)'),
  enabled: z.boolean().optional(),
};

export const CreateMcpServerSchema = z.strictObject(fields).meta({ id: 'CreateMcpServer' });
export const UpdateMcpServerSchema = z
  .strictObject({
    ...fields,
    name: fields.name.optional(),
    transport: fields.transport.optional(),
    command: fields.command.nullable(),
    url: fields.url.nullable(),
    env: fields.env.nullable(),
    headers: fields.headers.nullable(),
    api_key: fields.api_key.nullable(),
  })
  .meta({ id: 'UpdateMcpServer' });

export const McpServerSchema = z
  .object({
    id: z.uuid(),
    group_id: z.uuid(),
    name: z.string(),
    transport: z.enum(MCP_TRANSPORTS),
    command: z.string().nullable(),
    args: z.array(z.string()),
    url: z.string().nullable(),
    env_keys: z.array(z.string()).describe('Names of the environment variables (values hidden)'),
    header_names: z.array(z.string()).describe('Names of the headers (values hidden)'),
    has_api_key: z.boolean(),
    timeout_seconds: z.number().int(),
    enabled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'McpServer' });

export const McpServerTestSchema = z
  .object({
    ok: z.boolean(),
    tools: z.array(z.object({ name: z.string(), description: z.string() })),
    error: z.string().optional(),
    latency_ms: z.number(),
  })
  .meta({ id: 'McpServerTest' });
