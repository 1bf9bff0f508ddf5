/**
 * The built-in tools' implementations, by name. Each call gets its settings: those pinned in
 * the plan, the group's secrets (opened at call time) and the operator's environment.
 */
import { FETCH_URL_TOOL, READ_FILE_TOOL, type BuiltinTool } from '../../shared/tools/builtin-tools';
import { fetchUrl } from './fetch-url.tool';
import { readFile } from './read-file.tool';

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
  ]);
}
