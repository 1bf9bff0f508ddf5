/** How a crew's tools and tool_configs compile: aliases, layers, group settings, MCP servers. */
import { compileCrew } from '../../shared/compiler/compile-crew';
import type { GroupToolset } from '../../shared/compiler/tool-resolution';
import { CrewSpecSchema } from '../../shared/schemas/crew.schema';

const toolset: GroupToolset = {
  builtins: new Map([
    [
      'web_search_serper',
      { enabled: true, config: { base_url: 'https://serper.internal', n_results: 5 } },
    ],
    ['fetch_url', { enabled: false, config: {} }],
  ]),
  mcpServers: new Map([
    ['docs', { id: '00000000-0000-4000-8000-000000000001', enabled: true }],
    ['old', { id: '00000000-0000-4000-8000-000000000002', enabled: false }],
  ]),
};

const compile = (crew: unknown) =>
  compileCrew(
    CrewSpecSchema.parse(crew),
    { agents: new Map(), tasks: new Map() },
    {
      inputs: {},
      toolset,
      modelConfigs: new Map(),
      defaultModel: 'gpt-4o-mini',
    },
  );

const crew = (agent: Record<string, unknown>, task: Record<string, unknown> = {}) => ({
  name: 'C',
  agents: [{ id: 'a', role: 'R', goal: 'G', ...agent }],
  tasks: [{ id: 't', description: 'D', expected_output: 'E', agent: 'a', ...task }],
});

describe('tool resolution', () => {
  it('pins group settings, then the agent’s, then the task’s, under names or aliases', () => {
    const result = compile(
      crew(
        {
          tools: ['SerperDevTool'],
          tool_configs: { SerperDevTool: { n_results: 8, timeout_seconds: 20 } },
        },
        { tool_configs: { web_search_serper: { result_as_answer: true } } },
      ),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.plan.agents[0]?.tools).toEqual([
      expect.objectContaining({
        name: 'web_search_serper',
        config: { base_url: 'https://serper.internal', n_results: 8 },
        timeout_seconds: 20,
        cache: true,
      }),
    ]);
    // The task names no tools but sets options: it gets its agent's tools with them on top.
    expect(result.plan.tasks[0]?.tools).toEqual([
      expect.objectContaining({
        name: 'web_search_serper',
        config: { base_url: 'https://serper.internal', n_results: 8 },
        result_as_answer: true,
      }),
    ]);
  });

  it("attaches MCP servers by name; a task's own servers replace the agent's tools", () => {
    const result = compile(
      crew(
        { tools: ['read_file'], tool_configs: { MCP_SERVERS: { servers: ['docs'] } } },
        { tool_configs: { MCP_SERVERS: { servers: [{ name: 'docs', tools: ['search'] }] } } },
      ),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.plan.agents[0]?.mcp_servers).toEqual([
      { server_id: '00000000-0000-4000-8000-000000000001', server: 'docs' },
    ]);
    expect(result.plan.tasks[0]).toMatchObject({
      tools: [],
      mcp_servers: [{ server: 'docs', tools: ['search'] }],
    });
  });

  it('takes options for MCP tools by name next to MCP_SERVERS, for the run to apply', () => {
    const result = compile(
      crew(
        { tool_configs: { MCP_SERVERS: { servers: ['docs'] }, search: { timeout_seconds: 30 } } },
        { tool_configs: { search: { result_as_answer: true } } },
      ),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.plan.agents[0]?.mcp_tool_options).toEqual({ search: { timeout_seconds: 30 } });
    // The task sets options only: its agent's tools and servers, with its options on top.
    expect(result.plan.tasks[0]?.mcp_tool_options).toEqual({
      search: { timeout_seconds: 30, result_as_answer: true },
    });

    const refused = compile(crew({ tool_configs: { search: { cache: false } } }, {}));
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.issues[0]?.message).toContain("unknown tool 'search'");
    const notAnOption = compile(
      crew({ tool_configs: { MCP_SERVERS: { servers: ['docs'] }, search: { depth: 3 } } }),
    );
    expect(notAnOption.ok).toBe(false);
  });

  it('names every problem with its field', () => {
    const result = compile(
      crew({
        tools: ['fetch_url', 'teleport'],
        tool_configs: {
          web_search_serper: { api_key: 'k', n_results: 99 },
          MCP_SERVERS: { servers: ['old', 'gone', 7] },
        },
      }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual(
      expect.arrayContaining([
        "agents[0].tools[0]: tool 'fetch_url' is disabled in this group",
        "agents[0].tools[1]: unknown tool 'teleport'",
        expect.stringMatching(
          /^agents\[0\]\.tool_configs\.web_search_serper\.api_key: 'api_key' is a group setting/,
        ),
        expect.stringMatching(/^agents\[0\]\.tool_configs\.web_search_serper\.n_results: /),
        "agents[0].tool_configs.MCP_SERVERS.servers[0]: MCP server 'old' is disabled",
        "agents[0].tool_configs.MCP_SERVERS.servers[1]: unknown MCP server 'gone'",
        'agents[0].tool_configs.MCP_SERVERS.servers[2]: must be a server name or { "name", "tools" }',
      ]),
    );
  });
});
