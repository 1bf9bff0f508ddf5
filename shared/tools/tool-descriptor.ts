/** How a tool presents itself to an LLM (an OpenAI function definition) and how it is pinned. */
export interface ToolDescriptor {
  /** Unique name, `snake_case`; what agents list in `tools`. */
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

/** Options every tool takes in `tool_configs` (CrewAI's tool options). */
export interface ToolOptions {
  /** The tool's result becomes the task's answer; the agent stops there. */
  result_as_answer?: boolean;
  /** One call's time limit. */
  timeout_seconds?: number;
  /** Identical calls (same arguments) within one execution are answered from a cache. */
  cache?: boolean;
}

/** A tool as pinned into a plan: what the LLM sees, where calls go, and its settings. */
export interface PlannedTool extends ToolDescriptor, ToolOptions {
  /** Set for a tool of an MCP server; absent for a built-in tool. */
  mcp?: { server_id: string; server: string; tool: string };
  /**
   * The built-in tool's settings without secrets (group settings, then the agent's and the
   * task's `tool_configs`); secrets are looked up by the activity at call time.
   */
  config?: Record<string, unknown>;
}

/** The part of a tool the LLM sees. */
export function llmFacing(tool: ToolDescriptor): ToolDescriptor {
  return { name: tool.name, description: tool.description, parameters: tool.parameters };
}
