/** CrewAI's `planning`: one LLM step writes a plan for each task before the tasks run. */
import type { TaskPlan } from '../shared/plan/crew-plan';
import type { CrewRun } from './crew-run';
import { parseJsonAnswer } from './output-checks';
import { planningPrompt } from './prompts';

const PLANNER_KEY = 'crew_planner';

export async function planTasks(run: CrewRun): Promise<TaskPlan[]> {
  const { plan } = run;
  if (!plan.planning) return plan.tasks;
  const first = plan.tasks[0];
  if (!first) return plan.tasks;
  const planner = {
    key: PLANNER_KEY,
    role: 'Task planner',
    goal: "Plan the crew's tasks",
    backstory: '',
    llm: plan.planning.llm,
    tools: [],
    max_iter: 1,
    allow_delegation: false,
  };
  // Usage of the planning step counts towards the first task.
  const response = await run.callLlm(
    first.key,
    planner,
    [{ role: 'user', content: planningPrompt(plan.tasks, plan.agents) }],
    [],
    {
      json: true,
      step: 'planning',
    },
  );
  const parsed = parseJsonAnswer(response.content ?? '');
  const plans = new Map<string, string>();
  if (parsed.ok && typeof parsed.value === 'object' && parsed.value !== null) {
    const entries = (parsed.value as { plans?: unknown }).plans;
    if (Array.isArray(entries)) {
      for (const entry of entries as { task?: unknown; plan?: unknown }[]) {
        if (typeof entry.task === 'string' && typeof entry.plan === 'string')
          plans.set(entry.task, entry.plan);
      }
    }
  }
  return plan.tasks.map((task) => {
    const steps = plans.get(task.key);
    return steps ? { ...task, description: `${task.description}\n\nPlan:\n${steps}` } : task;
  });
}
