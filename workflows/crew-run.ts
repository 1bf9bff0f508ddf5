/**
 * The state of one crew execution inside its workflow, and the steps every agent takes through
 * it: LLM calls and tool calls (one activity each), with rate limits, usage and progress kept.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  patched,
  proxyActivities,
  uuid4,
} from '@temporalio/workflow';
import { FAILURE_TYPES } from '../shared/errors';
import type { KasalActivities } from '../shared/contracts/activities';
import {
  addUsage,
  NO_USAGE,
  type ConversationCursor,
  type LlmResponse,
  type NewChatMessage,
  type TokenUsage,
  type ToolCall,
  type ToolResult,
} from '../shared/llm/chat';
import type { AgentPlan, CrewPlan, TaskPlan } from '../shared/plan/crew-plan';
import type { ExecutionProgress, HistoryLimits, TaskState } from '../shared/plan/execution-state';
import { llmFacing, type PlannedTool, type ToolDescriptor } from '../shared/tools/tool-descriptor';
import {
  LLM_ACTIVITY,
  MCP_ACTIVITY,
  PERSISTENCE_ACTIVITY,
  TOOL_ACTIVITY,
} from './activity-options';
import { Conversation } from './conversation';
import { innermostMessage } from './failure-message';
import { PATCHES } from './patches';
import { withMcpTools } from './mcp-tools';
import { ApprovalDesk } from './approvals';
import { RateLimiter } from './rate-limiter';
import { publishStatus } from './status';

/** Each call gets a summary, so the Web UI's event history says which agent or tool it is. */
const llm = (summary: string) =>
  proxyActivities<Pick<KasalActivities, 'callLlm' | 'summarizeConversation'>>({
    ...LLM_ACTIVITY,
    summary,
  });
const tools = (summary: string, timeoutSeconds: number | undefined) =>
  proxyActivities<Pick<KasalActivities, 'runTool'>>({
    ...TOOL_ACTIVITY,
    ...(timeoutSeconds !== undefined && { startToCloseTimeout: `${timeoutSeconds} seconds` }),
    summary,
  });
const mcpTools = (summary: string, timeoutSeconds: number | undefined) =>
  proxyActivities<Pick<KasalActivities, 'callMcpTool'>>({
    ...MCP_ACTIVITY,
    // Room for the server's own timeout and for reconnecting.
    ...(timeoutSeconds !== undefined && { startToCloseTimeout: `${timeoutSeconds + 30} seconds` }),
    summary,
  });
export const persistence =
  proxyActivities<
    Pick<KasalActivities, 'markExecutionRunning' | 'recordTaskState' | 'finishExecution'>
  >(PERSISTENCE_ACTIVITY);

export interface CrewWorkflowInput {
  executionId: string;
  groupId: string;
  plan: CrewPlan;
  /** When the run continues as new (absent: when Temporal suggests it). */
  history_limits?: HistoryLimits;
  /** Set when this run continues an earlier run of the same execution. */
  resume?: CrewResume;
}

/** What a run hands to the run that continues it; the plan goes with it as it stands. */
export interface CrewResume {
  /**
   * Progress so far. Outputs and LLM calls of completed tasks are in their rows; only the latest
   * completed task travels whole.
   */
  progress: ExecutionProgress;
  /** The position in `plan.tasks` of the next task to start. */
  next: number;
}

/** A person rejected a task's answer (human_input); ends the run as REJECTED. */
export class ExecutionRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutionRejected';
  }
}

/** Thrown inside the workflow when a graceful stop was requested; ends the run as STOPPED. */
export class ExecutionStopped extends Error {
  constructor() {
    super('The execution was stopped');
    this.name = 'ExecutionStopped';
  }
}

/** The LLM activity failed because the conversation no longer fits the model. */
const tooLong = (error: unknown): boolean =>
  error instanceof ActivityFailure &&
  error.cause instanceof ApplicationFailure &&
  error.cause.type === FAILURE_TYPES.llmContextWindow;

export class CrewRun {
  readonly progress: ExecutionProgress;
  readonly approvals: ApprovalDesk;
  private readonly limiter = new RateLimiter();
  /** Tool calls by tool and arguments (running or succeeded), for tools that cache. */
  private readonly toolCache = new Map<string, Promise<ToolResult>>();
  private currentPlan: CrewPlan;

  constructor(readonly input: CrewWorkflowInput) {
    this.currentPlan = input.plan;
    this.approvals = new ApprovalDesk(
      input,
      (waiting) => {
        this.progress.status = waiting ? 'WAITING_FOR_APPROVAL' : 'RUNNING';
        publishStatus(this.progress.status);
      },
      () => this.progress.stop_requested,
    );
    this.progress = input.resume?.progress ?? {
      status: 'RUNNING',
      stop_requested: false,
      usage: NO_USAGE,
      tasks: input.plan.tasks.map((task) => ({
        key: task.key,
        ...(task.name !== undefined && { name: task.name }),
        ...(task.agent !== undefined && { agent: task.agent }),
        status: 'PENDING',
        usage: NO_USAGE,
        llm_calls: [],
        tool_calls: 0,
        delegations: 0,
      })),
    };
  }

  get plan(): CrewPlan {
    return this.currentPlan;
  }

  /** The input of the run that continues this one at `next` of `tasks` (as planned). */
  continuation(tasks: readonly TaskPlan[], next: number): CrewWorkflowInput {
    const lastDone = this.progress.tasks.findLast((task) => task.status === 'COMPLETED');
    const { planning: _planned, ...plan } = this.plan;
    return {
      executionId: this.input.executionId,
      groupId: this.input.groupId,
      plan: { ...plan, tasks: [...tasks] },
      ...(this.input.history_limits && { history_limits: this.input.history_limits }),
      resume: {
        next,
        progress: {
          status: this.progress.status,
          stop_requested: this.progress.stop_requested,
          usage: this.progress.usage,
          // Finished tasks travel without their outputs and calls: their rows hold them.
          tasks: this.progress.tasks.map((task) => {
            if (task === lastDone || task.status !== 'COMPLETED') return task;
            const { output: _output, output_json: _json, ...rest } = task;
            return { ...rest, llm_calls: [] };
          }),
        },
      },
    };
  }

  /** Lists the attached MCP servers' tools (when there are any) and pins them in the plan. */
  async attachMcpTools(): Promise<void> {
    this.currentPlan = await withMcpTools(this.currentPlan, this.input.groupId);
  }

  task(key: string): TaskState {
    const state = this.progress.tasks.find((task) => task.key === key);
    if (!state) throw new Error(`unknown task '${key}'`);
    return state;
  }

  requestStop(): void {
    this.progress.stop_requested = true;
  }

  throwIfStopRequested(): void {
    if (this.progress.stop_requested) throw new ExecutionStopped();
  }

  async saveTask(key: string): Promise<void> {
    await persistence.recordTaskState({
      executionId: this.input.executionId,
      task: this.task(key),
    });
  }

  /** One LLM step of `agent` working on task `taskKey`: a conversation, or one question. */
  async callLlm(
    taskKey: string,
    agent: AgentPlan,
    messages: Conversation | NewChatMessage[],
    offered: ToolDescriptor[],
    options: { json?: boolean; step?: string } = {},
  ): Promise<LlmResponse> {
    this.throwIfStopRequested();
    await this.limiter.acquire([
      [`agent:${agent.key}`, agent.max_rpm],
      ['crew', this.plan.max_rpm],
    ]);
    const step = options.step ?? `${taskKey}: ${agent.role}`;
    this.progress.current_step = `LLM call (${step})`;
    const request = () => ({
      executionId: this.input.executionId,
      groupId: this.input.groupId,
      taskKey,
      step,
      model: agent.llm,
      ...(messages instanceof Conversation ? messages.request() : { messages }),
      tools: offered.map(llmFacing),
      ...(options.json && { json: true }),
    });
    let response: LlmResponse;
    try {
      response = await llm(`LLM · ${step}`).callLlm(request());
    } catch (error) {
      if (!(messages instanceof Conversation) || !messages.stored || !tooLong(error)) throw error;
      if (agent.respect_context_window === false) {
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.taskFailed,
          nonRetryable: true,
          message: `${innermostMessage(error)}; '${agent.role}' does not respect its context window (respect_context_window: false), so the task cannot go on`,
        });
      }
      if (!patched(PATCHES.contextWindowSummary)) throw error; // a run recorded before summaries
      // CrewAI's respect_context_window: older messages are summarised, then the step goes on.
      this.progress.current_step = `Summarising the conversation (${step})`;
      const summary = await llm(`Summary · ${step}`).summarizeConversation({
        ...request(),
        conversation: messages.request().conversation as ConversationCursor,
        into: uuid4(),
      });
      this.addUsage(taskKey, summary.usage);
      messages.continueIn(summary.conversation);
      response = await llm(`LLM · ${step}`).callLlm(request());
    }
    if (messages instanceof Conversation) messages.answered(response, offered.length > 0);
    this.addUsage(taskKey, response.usage);
    this.task(taskKey).llm_calls.push({
      step,
      model: response.model,
      usage: response.usage,
      latency_ms: response.latency_ms,
    });
    return response;
  }

  private addUsage(taskKey: string, usage: TokenUsage): void {
    const state = this.task(taskKey);
    state.usage = addUsage(state.usage, usage);
    this.progress.usage = addUsage(this.progress.usage, usage);
  }

  /**
   * One tool call (built-in or MCP); a failure comes back as an observation for the agent.
   * A tool that caches answers an identical earlier call without running again. By reference:
   * a long result is stored and comes back as a preview with its key (see ToolResult).
   */
  async callTool(
    taskKey: string,
    call: ToolCall,
    tool: PlannedTool,
    byReference: boolean,
  ): Promise<ToolResult> {
    this.throwIfStopRequested();
    if (!tool.cache) return this.runTool(taskKey, call, tool, byReference);
    // The same name can be another server's tool, or the same tool with other settings.
    const key = JSON.stringify([tool.name, tool.mcp ?? null, tool.config ?? null, call.arguments]);
    const cached = this.toolCache.get(key);
    if (cached) return cached;
    const running = this.runTool(taskKey, call, tool, byReference);
    this.toolCache.set(key, running);
    const result = await running.catch((error: unknown) => {
      this.toolCache.delete(key);
      throw error;
    });
    if (!result.ok) this.toolCache.delete(key); // failures are not remembered
    return result;
  }

  private async runTool(
    taskKey: string,
    call: ToolCall,
    tool: PlannedTool,
    byReference: boolean,
  ): Promise<ToolResult> {
    this.progress.current_step = `tool ${call.name} (${taskKey})`;
    this.task(taskKey).tool_calls += 1;
    const request = {
      executionId: this.input.executionId,
      groupId: this.input.groupId,
      taskKey,
      name: call.name,
      arguments: call.arguments,
      ...(byReference && { by_reference: true }),
    };
    return tool.mcp
      ? mcpTools(
          `Tool · ${tool.mcp.server}/${tool.mcp.tool} · ${taskKey}`,
          tool.timeout_seconds,
        ).callMcpTool({ ...request, ...tool.mcp })
      : tools(`Tool · ${call.name} · ${taskKey}`, tool.timeout_seconds).runTool({
          ...request,
          ...(tool.config && { config: tool.config }),
        });
  }
}
