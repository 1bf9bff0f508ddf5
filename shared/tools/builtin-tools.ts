/**
 * The built-in tools agents can list in `tools`, as LLMs see them. Their implementations are
 * in activities/tools/; these descriptors are pinned into a plan when an execution starts.
 */
import type { ToolDescriptor } from './tool-descriptor';

export const FETCH_URL_TOOL: ToolDescriptor = {
  name: 'fetch_url',
  description:
    'Fetch a web page or document over HTTP(S) and return its text (HTML is reduced to readable text). Private and loopback addresses are refused unless the operator allowed them.',
  parameters: {
    type: 'object',
    properties: {
      url: { type: 'string', description: 'Absolute http:// or https:// URL' },
      max_chars: {
        type: 'integer',
        minimum: 100,
        maximum: 100000,
        description: 'Return at most this many characters (default 20000)',
      },
    },
    required: ['url'],
    additionalProperties: false,
  },
};

export const READ_FILE_TOOL: ToolDescriptor = {
  name: 'read_file',
  description:
    'Read a UTF-8 text file from the workspace folder the operator configured. Paths are relative to that folder; nothing outside it can be read.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Path relative to the workspace folder' },
      max_chars: {
        type: 'integer',
        minimum: 100,
        maximum: 200000,
        description: 'Return at most this many characters (default 50000)',
      },
    },
    required: ['path'],
    additionalProperties: false,
  },
};

export const BUILTIN_TOOLS: readonly ToolDescriptor[] = [FETCH_URL_TOOL, READ_FILE_TOOL];

/** The built-in tools by name, as the compilers look them up. */
export const BUILTIN_TOOL_MAP: ReadonlyMap<string, ToolDescriptor> = new Map(
  BUILTIN_TOOLS.map((tool) => [tool.name, tool]),
);
