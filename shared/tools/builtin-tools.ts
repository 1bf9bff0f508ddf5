/**
 * The built-in tool catalogue: each tool as LLMs see it (name, description, argument schema),
 * the settings it takes and which of them are secrets. Implementations are in
 * activities/tools/; descriptors are pinned into a plan when an execution starts.
 */
import type { ToolDescriptor } from './tool-descriptor';

type JsonSchema = Record<string, unknown>;

export interface BuiltinTool extends ToolDescriptor {
  title: string;
  /** Names Kasal and CrewAI use for the same tool; definitions may use them. */
  aliases: readonly string[];
  /** The settings a group (and, except `group_only` ones, an agent or a task) may give. */
  config_schema: { type: 'object'; properties: Record<string, JsonSchema> };
  /** Settings only group admins set (endpoints, credentials, network access). */
  group_only: readonly string[];
  /** Group-only settings that are secrets: stored encrypted, never returned or pinned. */
  secrets: readonly string[];
  /** Environment variables that supply a setting the group did not give. */
  env?: Readonly<Record<string, string>>;
}

const string = (description: string, extra: JsonSchema = {}) => ({
  type: 'string',
  description,
  ...extra,
});
const integer = (description: string, minimum: number, maximum: number) => ({
  type: 'integer',
  description,
  minimum,
  maximum,
});
const objectOf = (properties: Record<string, JsonSchema>, required: string[] = []) => ({
  type: 'object',
  properties,
  ...(required.length > 0 && { required }),
  additionalProperties: false,
});

export const FETCH_URL_TOOL: BuiltinTool = {
  name: 'fetch_url',
  title: 'Web page fetch',
  aliases: ['ScrapeWebsiteTool', 'ScrapeWebsite'],
  description:
    'Fetch a web page or document over HTTP(S) and return its text (HTML is reduced to readable text). Private and loopback addresses are refused unless the group allows them.',
  parameters: objectOf(
    {
      url: string('Absolute http:// or https:// URL'),
      max_chars: integer('Return at most this many characters (default 20000)', 100, 100_000),
    },
    ['url'],
  ),
  config_schema: {
    type: 'object',
    properties: {
      allow_private_networks: {
        type: 'boolean',
        description: 'Let the tool reach loopback and private addresses (default false)',
      },
    },
  },
  group_only: ['allow_private_networks'],
  secrets: [],
};

export const WEB_SEARCH_SERPER_TOOL: BuiltinTool = {
  name: 'web_search_serper',
  title: 'Web search (Serper)',
  aliases: ['SerperDevTool'],
  description:
    'Search the web with Google through Serper and return the top results (title, link, snippet).',
  parameters: objectOf(
    {
      query: string('What to search for'),
      n_results: integer('How many results (default 10)', 1, 20),
      search_type: string('"search" (default) or "news"', { enum: ['search', 'news'] }),
    },
    ['query'],
  ),
  config_schema: {
    type: 'object',
    properties: {
      api_key: string('Serper API key (secret)'),
      base_url: string('Serper API base URL (default https://google.serper.dev)', {
        format: 'uri',
      }),
      n_results: integer('Results when the agent asks for no number', 1, 20),
    },
  },
  group_only: ['api_key', 'base_url'],
  secrets: ['api_key'],
  env: { api_key: 'SERPER_API_KEY' },
};

export const WEB_SEARCH_PERPLEXITY_TOOL: BuiltinTool = {
  name: 'web_search_perplexity',
  title: 'Web search (Perplexity)',
  aliases: ['PerplexitySearchTool', 'PerplexityTool'],
  description:
    'Ask Perplexity, which searches the web and answers with sources. Good for current facts.',
  parameters: objectOf(
    {
      query: string('The question to research'),
      search_recency_filter: string('Only sources from the last day, week, month or year', {
        enum: ['day', 'week', 'month', 'year'],
      }),
    },
    ['query'],
  ),
  config_schema: {
    type: 'object',
    properties: {
      api_key: string('Perplexity API key (secret)'),
      base_url: string('Perplexity API base URL (default https://api.perplexity.ai)', {
        format: 'uri',
      }),
      model: string('Perplexity model (default sonar)'),
    },
  },
  group_only: ['api_key', 'base_url'],
  secrets: ['api_key'],
  env: { api_key: 'PERPLEXITY_API_KEY' },
};

export const READ_FILE_TOOL: BuiltinTool = {
  name: 'read_file',
  title: 'File read',
  aliases: ['FileReadTool'],
  description:
    'Read a UTF-8 text file from the workspace folder the operator configured. Paths are relative to that folder; nothing outside it can be read.',
  parameters: objectOf(
    {
      path: string('Path relative to the workspace folder'),
      max_chars: integer('Return at most this many characters (default 50000)', 100, 200_000),
    },
    ['path'],
  ),
  config_schema: { type: 'object', properties: {} },
  group_only: [],
  secrets: [],
};

export const LIST_DIRECTORY_TOOL: BuiltinTool = {
  name: 'list_directory',
  title: 'Directory listing',
  aliases: ['DirectoryReadTool'],
  description:
    'List the files and folders of a folder inside the workspace folder the operator configured (folders end with "/", files show their size).',
  parameters: objectOf({
    path: string('Folder relative to the workspace folder (default ".")'),
    recursive: { type: 'boolean', description: 'Also list sub-folders (default false)' },
    max_depth: integer('How deep to go when recursive (default 3)', 1, 10),
  }),
  config_schema: { type: 'object', properties: {} },
  group_only: [],
  secrets: [],
};

export const SQL_QUERY_TOOL: BuiltinTool = {
  name: 'sql_query',
  title: 'SQL query (read-only)',
  aliases: [],
  description:
    'Run one read-only SQL query (PostgreSQL) against the database the group configured and return the rows as a table.',
  parameters: objectOf({ query: string('One SELECT statement (PostgreSQL dialect)') }, ['query']),
  config_schema: {
    type: 'object',
    properties: {
      connection_url: string('postgres:// URL of the database (secret)'),
      statement_timeout_ms: integer('Longest a query may run (default 10000)', 100, 300_000),
      max_rows: integer('Most rows returned (default 100)', 1, 5000),
    },
  },
  group_only: ['connection_url'],
  secrets: ['connection_url'],
};

export const BUILTIN_TOOLS: readonly BuiltinTool[] = [
  FETCH_URL_TOOL,
  WEB_SEARCH_SERPER_TOOL,
  WEB_SEARCH_PERPLEXITY_TOOL,
  READ_FILE_TOOL,
  LIST_DIRECTORY_TOOL,
  SQL_QUERY_TOOL,
];

/** The built-in tools by name and by every alias. */
export const BUILTIN_TOOL_MAP: ReadonlyMap<string, BuiltinTool> = new Map(
  BUILTIN_TOOLS.flatMap((tool) =>
    [tool.name, ...tool.aliases].map((name) => [name, tool] as const),
  ),
);

/** The options every tool takes in `tool_configs`, next to its own settings. */
export const TOOL_OPTIONS_SCHEMA: Record<string, JsonSchema> = {
  result_as_answer: {
    type: 'boolean',
    description: "The tool's result becomes the task's answer",
  },
  timeout_seconds: integer('One call may take this long (default 180)', 1, 3600),
  cache: {
    type: 'boolean',
    description: 'Answer identical calls within one execution from a cache (default true)',
  },
};
