/**
 * Resolves the tools an agent or a task names, and its `tool_configs`, against what the group
 * has: the built-in tools it enables (with the group's settings) and its MCP servers. Used when
 * a definition is saved and when a plan is compiled, so both give the same 400s.
 */
import { Validator, type Schema } from '@cfworker/json-schema';
import type { FieldIssue } from '../errors';
import { BUILTIN_TOOL_MAP, TOOL_OPTIONS_SCHEMA, type BuiltinTool } from '../tools/builtin-tools';
import type { PlannedTool, ToolOptions } from '../tools/tool-descriptor';

/** Kasal's key in `tool_configs` for the MCP servers an agent or a task uses. */
export const MCP_SERVERS_KEY = 'MCP_SERVERS';

export type ToolConfigs = Record<string, Record<string, unknown>>;

/** What a group offers: built-in tool settings and MCP servers. */
export interface GroupToolset {
  /** By canonical tool name; a tool without an entry is enabled with no group settings. */
  builtins: ReadonlyMap<string, { enabled: boolean; config: Record<string, unknown> }>;
  /** The group's MCP servers by name. */
  mcpServers: ReadonlyMap<string, { id: string; enabled: boolean }>;
}

/** An MCP server attached to an agent or a task; its tools are listed when the run starts. */
export interface McpAttachment {
  server_id: string;
  server: string;
  /** Only these of its tools; absent: all of them. */
  tools?: string[];
}

const OPTION_KEYS = Object.keys(TOOL_OPTIONS_SCHEMA);

/**
 * The tools of `names` with their settings: the group's, then each of `configLayers` in order
 * (an agent's `tool_configs`, then a task's). Problems are pushed to `issues` under `path`;
 * the layers themselves are checked once each with `checkToolConfigs`.
 */
export function resolveTools(
  names: readonly string[],
  configLayers: readonly { configs: ToolConfigs; path: string }[],
  toolset: GroupToolset,
  path: string,
  issues: FieldIssue[],
): PlannedTool[] {
  const tools = names.flatMap((name, index) => {
    const tool = BUILTIN_TOOL_MAP.get(name);
    const where = `${path}[${index}]`;
    if (!tool) {
      issues.push({ path: where, message: `unknown tool '${name}'` });
      return [];
    }
    const group = toolset.builtins.get(tool.name);
    if (group && !group.enabled) {
      issues.push({ path: where, message: `tool '${name}' is disabled in this group` });
      return [];
    }
    const settings = configLayers.reduce<Record<string, unknown>>(
      (merged, layer) => ({ ...merged, ...configFor(layer.configs, tool) }),
      { ...group?.config },
    );
    return [plannedBuiltin(tool, settings)];
  });
  return dedupe(tools);
}

function plannedBuiltin(tool: BuiltinTool, settings: Record<string, unknown>): PlannedTool {
  const config = Object.fromEntries(
    Object.entries(settings).filter(([key]) => !OPTION_KEYS.includes(key)),
  );
  const options = settings as ToolOptions;
  return {
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters,
    ...(Object.keys(config).length > 0 && { config }),
    ...(options.result_as_answer !== undefined && { result_as_answer: options.result_as_answer }),
    ...(options.timeout_seconds !== undefined && { timeout_seconds: options.timeout_seconds }),
    cache: options.cache ?? true,
  };
}

/** A tool's entry in `tool_configs`, under its name or one of its aliases. */
function configFor(configs: ToolConfigs, tool: BuiltinTool): Record<string, unknown> {
  return Object.assign(
    {},
    ...[tool.name, ...tool.aliases].flatMap((name) => (configs[name] ? [configs[name]] : [])),
  ) as Record<string, unknown>;
}

/** Checks `tool_configs` entries: known tools, known settings of the right type, no secrets. */
export function checkToolConfigs(
  configs: ToolConfigs,
  path: string,
  issues: FieldIssue[],
  /** MCP servers are attached (here, or to the task's agent): other names may be their tools. */
  mcpAttached = configs[MCP_SERVERS_KEY] !== undefined,
): void {
  for (const [name, entry] of Object.entries(configs)) {
    const where = `${path}.${name}`;
    if (name === MCP_SERVERS_KEY) continue; // checked with the group's servers
    const tool = BUILTIN_TOOL_MAP.get(name);
    if (!tool && mcpAttached) {
      // A tool of the attached MCP servers (known only when the run starts): options only.
      issues.push(
        ...schemaIssues({ type: 'object', properties: TOOL_OPTIONS_SCHEMA }, entry, where),
      );
      continue;
    }
    if (!tool) {
      issues.push({
        path: where,
        message: `unknown tool '${name}' (settings for an MCP server's tool go next to ${MCP_SERVERS_KEY})`,
      });
      continue;
    }
    for (const key of Object.keys(entry)) {
      if (tool.group_only.includes(key)) {
        issues.push({
          path: `${where}.${key}`,
          message: `'${key}' is a group setting of ${tool.name}: group admins set it with PUT /api/v1/group-tools/${tool.name}`,
        });
      }
    }
    const allowed = Object.fromEntries(
      Object.entries(tool.config_schema.properties).filter(
        ([key]) => !tool.group_only.includes(key),
      ),
    );
    issues.push(
      ...schemaIssues(
        { type: 'object', properties: { ...allowed, ...TOOL_OPTIONS_SCHEMA } },
        entry,
        where,
        tool.group_only,
      ),
    );
  }
}

/** Checks a value against an object schema whose properties are all that may appear. */
export function schemaIssues(
  schema: { type: 'object'; properties: Record<string, unknown> },
  value: Record<string, unknown>,
  path: string,
  ignore: readonly string[] = [],
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(value)) {
    if (!(key in schema.properties) && !ignore.includes(key)) {
      issues.push({ path: `${path}.${key}`, message: `unknown setting '${key}'` });
    }
  }
  const result = new Validator(schema as Schema, '2020-12', false).validate(value);
  for (const error of result.errors) {
    if (error.keyword === 'properties') continue;
    const key = error.instanceLocation.replace(/^#\/?/, '').replaceAll('/', '.');
    issues.push({ path: key ? `${path}.${key}` : path, message: error.error });
  }
  return issues;
}

/**
 * Options for the attached MCP servers' tools, by tool name: the entries of `tool_configs`
 * that name no built-in tool, later layers over earlier ones.
 */
export function mcpToolOptions(...layers: ToolConfigs[]): {
  mcp_tool_options?: Record<string, ToolOptions>;
} {
  const options: Record<string, ToolOptions> = {};
  for (const configs of layers) {
    for (const [name, entry] of Object.entries(configs)) {
      if (name === MCP_SERVERS_KEY || BUILTIN_TOOL_MAP.has(name)) continue;
      options[name] = { ...options[name], ...(entry as ToolOptions) };
    }
  }
  return Object.keys(options).length > 0 ? { mcp_tool_options: options } : {};
}

/** The MCP servers `tool_configs.MCP_SERVERS` attaches (none when it has no such entry). */
export function resolveMcpServers(
  configs: ToolConfigs,
  path: string,
  toolset: GroupToolset,
  issues: FieldIssue[],
): McpAttachment[] {
  const entry = configs[MCP_SERVERS_KEY];
  if (entry === undefined) return [];
  const where = `${path}.${MCP_SERVERS_KEY}.servers`;
  const servers = (entry as { servers?: unknown }).servers;
  if (!Array.isArray(servers)) {
    issues.push({ path: where, message: 'must be a list of MCP server names' });
    return [];
  }
  const seen = new Set<string>();
  return servers.flatMap((entry: unknown, index): McpAttachment[] => {
    const at = `${where}[${index}]`;
    const { name, tools } =
      typeof entry === 'string'
        ? { name: entry, tools: undefined }
        : ((entry ?? {}) as { name?: unknown; tools?: unknown });
    if (typeof name !== 'string' || name === '') {
      issues.push({ path: at, message: 'must be a server name or { "name", "tools" }' });
      return [];
    }
    if (
      tools !== undefined &&
      !(Array.isArray(tools) && tools.every((t) => typeof t === 'string'))
    ) {
      issues.push({ path: `${at}.tools`, message: 'must be a list of tool names' });
      return [];
    }
    if (seen.has(name)) {
      issues.push({ path: at, message: `MCP server '${name}' is listed twice` });
      return [];
    }
    seen.add(name);
    const server = toolset.mcpServers.get(name);
    if (!server) {
      issues.push({ path: at, message: `unknown MCP server '${name}'` });
      return [];
    }
    if (!server.enabled) {
      issues.push({ path: at, message: `MCP server '${name}' is disabled` });
      return [];
    }
    return [{ server_id: server.id, server: name, ...(tools && { tools }) }];
  });
}

function dedupe(tools: PlannedTool[]): PlannedTool[] {
  const seen = new Set<string>();
  return tools.filter((tool) => !seen.has(tool.name) && seen.add(tool.name));
}

/** Every problem with the tools an agent or a task names and its `tool_configs`. */
export function checkToolUse(
  spec: { tools: readonly string[]; tool_configs: ToolConfigs },
  toolset: GroupToolset,
  path = '',
): FieldIssue[] {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const issues: FieldIssue[] = [];
  checkToolConfigs(spec.tool_configs, at('tool_configs'), issues);
  const layer = { configs: spec.tool_configs, path: at('tool_configs') };
  resolveTools(spec.tools, [layer], toolset, at('tools'), issues);
  resolveMcpServers(spec.tool_configs, layer.path, toolset, issues);
  return issues;
}
