/**
 * The agent loop, run in the workflow so every step is in history: LLM step → tool steps → …
 * until a final answer, then the task's checks (JSON schema, guardrail) with bounded revisions.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { FAILURE_TYPES } from '../shared/errors';
import {
  toolResultText,
  type MessageText,
  type ToolCall,
  type ToolResult,
} from '../shared/llm/chat';
import type { AgentPlan, TaskPlan } from '../shared/plan/crew-plan';
import type { PlannedTool, ToolDescriptor } from '../shared/tools/tool-descriptor';
import { Conversation } from './conversation';
import { PATCHES } from './patches';
import { ExecutionRejected, ExecutionStopped, type CrewRun } from './crew-run';
import {
  checkJsonSchema,
  checkMinLength,
  parseJsonAnswer,
  type CheckResult,
} from './output-checks';
import {
  ASK_QUESTION_TOOL,
  coworkerList,
  DELEGATE_WORK_TOOL,
  FINAL_ANSWER_NOW,
  guardrailJudgePrompt,
  revisionPrompt,
  systemPrompt,
  taskPrompt,
} from './prompts';

export const TASK_FAILED = FAILURE_TYPES.taskFailed;
export const MAX_DELEGATIONS_PER_TASK = 10;
export const MAX_HUMAN_REVIEWS = 3;

export interface AgentJob {
  /** The crew task this work counts towards (usage, progress). */
  taskKey: string;
  agent: AgentPlan;
  task: Pick<
    TaskPlan,
    | 'description'
    | 'expected_output'
    | 'output_json'
    | 'guardrail'
    | 'guardrail_max_retries'
    | 'markdown'
    | 'tools'
    | 'own_tools'
    | 'human_input'
  >;
  context: MessageText;
  /** Agents this one may delegate to or question; empty: no delegation tools. */
  coworkers: AgentPlan[];
  step?: string;
}

export interface AgentAnswer {
  output: string;
  json?: unknown;
}

/** The tools the agent has for this work: the task's own, else its own. */
const toolsOf = (job: AgentJob): PlannedTool[] =>
  (job.task.own_tools ?? job.task.tools.length > 0) ? job.task.tools : job.agent.tools;

export async function runAgent(run: CrewRun, job: AgentJob): Promise<AgentAnswer> {
  const { agent, task } = job;
  const offered: ToolDescriptor[] = [
    ...toolsOf(job),
    ...(job.coworkers.length > 0 ? [DELEGATE_WORK_TOOL, ASK_QUESTION_TOOL] : []),
  ];
  const conversation = new Conversation(patched(PATCHES.conversationInStore));
  conversation.add(
    { role: 'system', content: systemPrompt(agent) },
    { role: 'user', content: taskPrompt(task, job.context) },
  );
  if (job.coworkers.length > 0) {
    conversation.add({
      role: 'user',
      content: `Your coworkers are: ${coworkerList(job.coworkers)}.`,
    });
  }
  const deadline =
    agent.max_execution_time === undefined
      ? undefined
      : Date.now() + agent.max_execution_time * 1000;
  let steps = 0;
  let revisions = 0;
  let reviews = 0;

  /** The answer, accepted; or what to ask the agent when a check or a person sends it back. */
  const consider = async (answer: string): Promise<AgentAnswer | string> => {
    const check = await checkAnswer(run, job, answer);
    if (check.ok) {
      const feedback = await humanReview(run, job, answer, reviews);
      if (feedback === undefined) {
        return { output: answer, ...(check.json !== undefined && { json: check.json }) };
      }
      reviews += 1;
      return `A person reviewed your answer and asks for changes: ${feedback}\nReply with the revised final answer only.`;
    }
    if (revisions >= task.guardrail_max_retries) {
      throw ApplicationFailure.create({
        type: TASK_FAILED,
        nonRetryable: true,
        message: `The answer of '${agent.role}' was rejected ${revisions + 1} times: ${check.feedback}`,
      });
    }
    revisions += 1;
    return revisionPrompt(check.feedback);
  };

  for (;;) {
    const outOfSteps =
      steps >= agent.max_iter || (deadline !== undefined && Date.now() >= deadline);
    if (outOfSteps) conversation.add({ role: 'user', content: FINAL_ANSWER_NOW });
    const response = await run.callLlm(
      job.taskKey,
      agent,
      conversation,
      outOfSteps ? [] : offered,
      { ...(job.step !== undefined && { step: job.step }) },
    );
    steps += 1;

    if (response.tool_calls.length > 0 && !outOfSteps) {
      const results = await Promise.all(
        response.tool_calls.map((call) => useTool(run, job, call, conversation.stored)),
      );
      response.tool_calls.forEach((call, index) => {
        const result = results[index] as ToolResult;
        conversation.add({ role: 'tool', tool_call_id: call.id, content: toolResultText(result) });
      });
      // result_as_answer: the tool's result is proposed as the task's answer, as it came.
      const direct = results.find(
        (result, index) =>
          result.ok &&
          toolsOf(job).some(
            (tool) => tool.name === response.tool_calls[index]?.name && tool.result_as_answer,
          ),
      );
      if (direct?.ok) {
        const verdict = await consider(direct.output);
        if (typeof verdict !== 'string') return verdict;
        conversation.add({ role: 'user', content: verdict });
      }
      continue;
    }

    const answer = response.content ?? '';
    const verdict = await consider(answer);
    if (typeof verdict !== 'string') return verdict;
    conversation.add({ role: 'user', content: verdict });
  }
}

/**
 * `human_input`: a person approves the answer (undefined) or sends feedback for a revision
 * (bounded by MAX_HUMAN_REVIEWS); a rejection ends the run as REJECTED.
 */
async function humanReview(
  run: CrewRun,
  job: AgentJob,
  answer: string,
  reviews: number,
): Promise<string | undefined> {
  if (!job.task.human_input) return undefined;
  const outcome = await run.approvals.request({
    kind: 'task',
    task_key: job.taskKey,
    message: `Review the answer of '${job.agent.role}' to task '${job.taskKey}'`,
    subject: answer,
    allowed_approvers: [],
    require_comment: false,
  });
  if (outcome.kind === 'stopped') throw new ExecutionStopped();
  if (outcome.kind === 'approved' || outcome.kind === 'timed_out') return undefined;
  if (outcome.action === 'reject' || reviews >= MAX_HUMAN_REVIEWS) {
    throw new ExecutionRejected(
      `The answer to task '${job.taskKey}' was rejected${outcome.comment ? `: ${outcome.comment}` : ''}`,
    );
  }
  return outcome.comment ?? 'Please improve your answer.';
}

async function checkAnswer(run: CrewRun, job: AgentJob, answer: string): Promise<CheckResult> {
  const { task } = job;
  if (!answer.trim()) return { ok: false, feedback: 'the answer is empty' };
  let json: unknown;
  if (task.output_json) {
    const result = checkJsonSchema(answer, task.output_json);
    if (!result.ok) return result;
    json = result.json;
  }
  const verdict = await checkGuardrail(run, job, answer);
  if (!verdict.ok) return verdict;
  return json === undefined ? { ok: true } : { ok: true, json };
}

async function checkGuardrail(run: CrewRun, job: AgentJob, answer: string): Promise<CheckResult> {
  const guardrail = job.task.guardrail;
  if (guardrail === undefined) return { ok: true };
  if (typeof guardrail === 'string') return judge(run, job, guardrail, answer);
  switch (guardrail.type) {
    case 'llm':
      return judge(run, job, guardrail.description, answer);
    case 'min_length':
      return checkMinLength(answer, guardrail.min);
    case 'json_schema':
      return checkJsonSchema(answer, guardrail.schema);
  }
}

/** An LLM guardrail: the agent's own model judges the answer against the requirement. */
async function judge(
  run: CrewRun,
  job: AgentJob,
  requirement: string,
  answer: string,
): Promise<CheckResult> {
  const response = await run.callLlm(
    job.taskKey,
    job.agent,
    [{ role: 'user', content: guardrailJudgePrompt(requirement, answer) }],
    [],
    { json: true, step: `${job.taskKey}: guardrail` },
  );
  const parsed = parseJsonAnswer(response.content ?? '');
  const verdict = parsed.ok ? (parsed.value as { valid?: unknown; feedback?: unknown }) : undefined;
  if (verdict?.valid === true) return { ok: true };
  const feedback =
    typeof verdict?.feedback === 'string' && verdict.feedback
      ? verdict.feedback
      : 'it does not meet the requirement';
  return { ok: false, feedback: `guardrail "${requirement}": ${feedback}` };
}

async function useTool(
  run: CrewRun,
  job: AgentJob,
  call: ToolCall,
  byReference: boolean,
): Promise<ToolResult> {
  if (call.name === DELEGATE_WORK_TOOL.name || call.name === ASK_QUESTION_TOOL.name) {
    return delegate(run, job, call);
  }
  const tool = toolsOf(job).find((candidate) => candidate.name === call.name);
  if (!tool) return { ok: false, error: `there is no tool named '${call.name}'` };
  // A result proposed as the task's answer is needed whole.
  return run.callTool(job.taskKey, call, tool, byReference && !tool.result_as_answer);
}

/** Delegation and questions to coworkers: a coworker's own agent loop, recorded as steps. */
async function delegate(run: CrewRun, job: AgentJob, call: ToolCall): Promise<ToolResult> {
  const args = parseArguments(call.arguments);
  const work = args.task ?? args.question;
  const state = run.task(job.taskKey);
  if (!args.coworker || !work) {
    return { ok: false, error: 'give "coworker" and the task (or question), with its "context"' };
  }
  if (state.delegations >= MAX_DELEGATIONS_PER_TASK) {
    return {
      ok: false,
      error: `the limit of ${MAX_DELEGATIONS_PER_TASK} delegations for this task is reached; give your final answer`,
    };
  }
  const wanted = args.coworker.trim().toLowerCase();
  const coworker = job.coworkers.find(
    (agent) => agent.key.toLowerCase() === wanted || agent.role.trim().toLowerCase() === wanted,
  );
  if (!coworker) {
    return {
      ok: false,
      error: `no coworker '${args.coworker}'; choose one of ${coworkerList(job.coworkers)}`,
    };
  }
  state.delegations += 1;
  const asking = call.name === ASK_QUESTION_TOOL.name;
  const answer = await runAgent(run, {
    taskKey: job.taskKey,
    agent: coworker,
    task: {
      description: asking ? `Answer this question: ${work}` : work,
      expected_output: asking
        ? 'A clear answer to the question.'
        : 'Your best complete answer to the task.',
      guardrail_max_retries: 0,
      markdown: false,
      tools: [],
    },
    context: args.context ?? '',
    coworkers: [],
    step: `${job.taskKey}: ${asking ? 'question to' : 'delegated to'} ${coworker.role}`,
  });
  return { ok: true, output: answer.output };
}

function parseArguments(text: string): Record<string, string | undefined> {
  const parsed = parseJsonAnswer(text);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return {};
  return Object.fromEntries(
    Object.entries(parsed.value).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}
