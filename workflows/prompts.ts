/** The words agents are given. Changing them changes what new steps send, never replay. */
import type { MessageText } from '../shared/llm/chat';
import type { AgentPlan, TaskPlan } from '../shared/plan/crew-plan';
import type { ToolDescriptor } from '../shared/tools/tool-descriptor';

export function systemPrompt(agent: AgentPlan): string {
  return [
    `You are ${agent.role}.`,
    agent.backstory,
    `Your personal goal is: ${agent.goal}`,
    'Use the tools you are given when they help. When you have the answer, reply with the final answer only: complete, and in the format the task asks for.',
  ]
    .filter((line) => line.trim().length > 0)
    .join('\n');
}

/** The task as the agent reads it; context that is stored stays stored (by reference). */
export function taskPrompt(
  task: Pick<TaskPlan, 'description' | 'expected_output' | 'output_json' | 'markdown'>,
  context: MessageText,
): MessageText {
  const parts = [
    `Current task: ${task.description}`,
    `\nThis is the expected criteria for your final answer: ${task.expected_output}`,
  ];
  if (task.output_json) {
    parts.push(
      `\nAnswer with a single JSON value that matches this JSON Schema, and nothing else:\n${JSON.stringify(task.output_json)}`,
    );
  }
  if (task.markdown) parts.push('\nFormat your answer in Markdown.');
  const begin = '\nBegin! This is VERY important to you, do your best work.';
  if (typeof context !== 'string') {
    const intro = `${parts.join('\n')}\n\nThis is the context you are working with:\n`;
    return context.length > 0 ? [intro, ...context, `\n${begin}`] : [...parts, begin].join('\n');
  }
  if (context.trim()) parts.push(`\nThis is the context you are working with:\n${context}`);
  parts.push(begin);
  return parts.join('\n');
}

export const FINAL_ANSWER_NOW =
  'You have used all the steps you are allowed. Give your best final answer now, without calling any tool.';

export function revisionPrompt(feedback: string): string {
  return `Your answer was not accepted: ${feedback}\nRevise it and reply with the corrected final answer only.`;
}

export function guardrailJudgePrompt(requirement: string, answer: string): string {
  return [
    'You check whether an answer meets a requirement.',
    `Requirement: ${requirement}`,
    `Answer:\n${answer}`,
    'Reply with a JSON object {"valid": true|false, "feedback": "what is wrong and how to fix it, empty when valid"}.',
  ].join('\n\n');
}

export function planningPrompt(tasks: readonly TaskPlan[], agents: readonly AgentPlan[]): string {
  const agentList = agents
    .map((agent) => `- ${agent.key}: ${agent.role} (goal: ${agent.goal})`)
    .join('\n');
  const taskList = tasks
    .map(
      (task) =>
        `- ${task.key}: ${task.description}\n  expected output: ${task.expected_output}${task.agent ? `\n  agent: ${task.agent}` : ''}`,
    )
    .join('\n');
  return [
    'You plan the work of a crew of AI agents before they start.',
    `Agents:\n${agentList}`,
    `Tasks, in order:\n${taskList}`,
    'For every task write a short step-by-step plan the agent should follow.',
    'Reply with a JSON object {"plans": [{"task": "<task key>", "plan": "<steps>"}]} covering every task.',
  ].join('\n\n');
}

export const DELEGATE_WORK_TOOL: ToolDescriptor = {
  name: 'delegate_work_to_coworker',
  description:
    'Delegate a specific task to one of your coworkers. Give them everything they need: they know nothing about the task except what you write.',
  parameters: {
    type: 'object',
    properties: {
      task: { type: 'string', description: 'The task to delegate' },
      context: { type: 'string', description: 'All the context needed to do it' },
      coworker: { type: 'string', description: 'The role (or id) of the coworker' },
    },
    required: ['task', 'context', 'coworker'],
    additionalProperties: false,
  },
};

export const ASK_QUESTION_TOOL: ToolDescriptor = {
  name: 'ask_question_to_coworker',
  description:
    'Ask a specific question to one of your coworkers. Give them all the context they need to answer.',
  parameters: {
    type: 'object',
    properties: {
      question: { type: 'string', description: 'The question to ask' },
      context: { type: 'string', description: 'All the context needed to answer it' },
      coworker: { type: 'string', description: 'The role (or id) of the coworker' },
    },
    required: ['question', 'context', 'coworker'],
    additionalProperties: false,
  },
};

export function coworkerList(coworkers: readonly AgentPlan[]): string {
  return coworkers.map((agent) => `'${agent.role}' (id '${agent.key}')`).join(', ');
}
