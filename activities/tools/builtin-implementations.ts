/**
 * The built-in tools' implementations, by name. Each call gets its settings: those pinned in
 * the plan, the group's secrets (opened at call time) and the operator's environment.
 */
import {
  FETCH_URL_TOOL,
  LIST_DIRECTORY_TOOL,
  READ_FILE_TOOL,
  SQL_QUERY_TOOL,
  WEB_SEARCH_PERPLEXITY_TOOL,
  WEB_SEARCH_SERPER_TOOL,
  type BuiltinTool,
} from '../../shared/tools/builtin-tools';
import { fetchUrl } from './fetch-url.tool';
import { listDirectory } from './list-directory.tool';
import { perplexitySearch } from './perplexity-search.tool';
import { readFile } from './read-file.tool';
import { serperSearch } from './serper-search.tool';
import { sqlQuery } from './sql-query.tool';

/** What the operator configured for every group (environment variables). */
export interface ToolEnvironment {
  /** KASAL_TOOLS_FILE_ROOT: the workspace folder of read_file and list_directory. */
  fileRoot?: string;
  /** KASAL_TOOLS_ALLOW_PRIVATE_NETWORKS: fetch_url may reach private addresses everywhere. */
  allowPrivateNetworks: boolean;
  /** Settings from environment variables, by variable name (SERPER_API_KEY, …). */
  variables: Readonly<Record<string, string | undefined>>;
}

export interface ToolCall {
  /** The pinned settings, the group's secrets and environment fallbacks, merged. */
  settings: Record<string, unknown>;
  timeoutMs: number;
  signal: AbortSignal;
}

export type ToolImplementation = (args: unknown, call: ToolCall) => Promise<string>;

/** A setting a tool cannot run without is missing; the run fails clearly. */
export class ToolConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolConfigError';
  }
}

/** A required string setting, or a ToolConfigError that says where to set it. */
export function requiredSetting(tool: BuiltinTool, call: ToolCall, key: string): string {
  const value = call.settings[key];
  if (typeof value === 'string' && value !== '') return value;
  const variable = tool.env?.[key];
  throw new ToolConfigError(
    `${tool.name} needs '${key}': a group admin sets it with PUT /api/v1/group-tools/${tool.name}${variable ? `, or the operator sets ${variable}` : ''}`,
  );
}

export function builtinToolImplementations(
  environment: ToolEnvironment,
): ReadonlyMap<string, ToolImplementation> {
  return new Map<string, ToolImplementation>([
    [
      FETCH_URL_TOOL.name,
      (args, call) =>
        fetchUrl(args, {
          allowPrivateNetworks:
            environment.allowPrivateNetworks || call.settings.allow_private_networks === true,
          timeoutMs: call.timeoutMs,
          maxBytes: 5_000_000,
        }),
    ],
    [
      READ_FILE_TOOL.name,
      (args) => readFile(args, { root: environment.fileRoot, maxBytes: 5_000_000 }),
    ],
    [
      WEB_SEARCH_SERPER_TOOL.name,
      (args, call) =>
        serperSearch(args, {
          apiKey: requiredSetting(WEB_SEARCH_SERPER_TOOL, call, 'api_key'),
          ...optionalString(call, 'base_url', 'baseUrl'),
          ...(typeof call.settings.n_results === 'number' && {
            defaultResults: call.settings.n_results,
          }),
          timeoutMs: call.timeoutMs,
          signal: call.signal,
        }),
    ],
    [
      WEB_SEARCH_PERPLEXITY_TOOL.name,
      (args, call) =>
        perplexitySearch(args, {
          apiKey: requiredSetting(WEB_SEARCH_PERPLEXITY_TOOL, call, 'api_key'),
          ...optionalString(call, 'base_url', 'baseUrl'),
          ...optionalString(call, 'model', 'model'),
          timeoutMs: call.timeoutMs,
          signal: call.signal,
        }),
    ],
    [
      LIST_DIRECTORY_TOOL.name,
      (args) => listDirectory(args, { root: environment.fileRoot, maxEntries: 500 }),
    ],
    [
      SQL_QUERY_TOOL.name,
      (args, call) =>
        sqlQuery(args, {
          connectionUrl: requiredSetting(SQL_QUERY_TOOL, call, 'connection_url'),
          statementTimeoutMs: numberSetting(call, 'statement_timeout_ms', 10_000),
          maxRows: numberSetting(call, 'max_rows', 100),
          signal: call.signal,
        }),
    ],
  ]);
}

/** `{ [option]: value }` when the string setting `key` is given, else nothing. */
function optionalString<K extends string>(call: ToolCall, key: string, option: K) {
  const value = call.settings[key];
  return (typeof value === 'string' && value !== '' ? { [option]: value } : {}) as Partial<
    Record<K, string>
  >;
}

function numberSetting(call: ToolCall, key: string, fallback: number): number {
  const value = call.settings[key];
  return typeof value === 'number' ? value : fallback;
}
