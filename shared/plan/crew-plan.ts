/**
 * The compiled, versioned form of a crew that the crew workflow interprets. Plain JSON: it is
 * the workflow's input, pinned at start, so editing a crew never changes a running execution.
 * It never holds secrets: model configs are referenced by id and resolved by activities.
 */
import type { Guardrail } from '../schemas/task.schema';
import type { CrewProcess } from '../schemas/crew.schema';
import type { McpAttachment } from '../compiler/tool-resolution';
import type { PlannedTool, ToolOptions } from '../tools/tool-descriptor';

export const CREW_PLAN_VERSION = 1;

export interface ModelSettings {
  /** The model name the provider expects (e.g. `gpt-4o-mini`). */
  model: string;
  /** A model config of the group (base URL, encrypted key); absent: the platform default. */
  config_id?: string;
  temperature?: number;
  max_tokens?: number;
}

export interface AgentPlan {
  key: string;
  role: string;
  goal: string;
  backstory: string;
  llm: ModelSettings;
  tools: PlannedTool[];
  /** MCP servers whose tools the agent gets; listed and pinned when the run starts. */
  mcp_servers?: McpAttachment[];
  /** Options (`result_as_answer`, `timeout_seconds`, `cache`) for those tools, by name. */
  mcp_tool_options?: Record<string, ToolOptions>;
  max_iter: number;
  /** Summarise older messages when the conversation outgrows the model (false: fail the task). */
  respect_context_window?: boolean;
  max_rpm?: number;
  max_execution_time?: number;
  allow_delegation: boolean;
}

export interface TaskPlan {
  key: string;
  name?: string;
  description: string;
  expected_output: string;
  /** Agent key; absent only in hierarchical crews, where the manager assigns the work. */
  agent?: string;
  /** Keys of tasks whose output this task receives. */
  context: string[];
  async_execution: boolean;
  /** Tools for this task; when it has none (nor MCP servers) the agent's own are used. */
  tools: PlannedTool[];
  mcp_servers?: McpAttachment[];
  mcp_tool_options?: Record<string, ToolOptions>;
  /** The task has tools of its own (even none): its agent's are not used. */
  own_tools?: boolean;
  output_json?: Record<string, unknown>;
  guardrail?: Guardrail;
  guardrail_max_retries: number;
  markdown: boolean;
  /** Wait for a person to approve the answer or send feedback (absent in older plans). */
  human_input?: boolean;
}

export interface CrewPlan {
  version: typeof CREW_PLAN_VERSION;
  kind: 'crew';
  name: string;
  crew_id?: string;
  process: CrewProcess;
  agents: AgentPlan[];
  tasks: TaskPlan[];
  /** The manager of a hierarchical crew. */
  manager?: AgentPlan;
  /** Set when the crew plans its tasks before running them (CrewAI `planning`). */
  planning?: { llm: ModelSettings };
  max_rpm?: number;
  inputs: Record<string, unknown>;
}
