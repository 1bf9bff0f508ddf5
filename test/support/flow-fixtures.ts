/** Small crews and flows for flow tests: one agent, one task, answers scripted by prompt. */
export function oneTaskCrew(
  name: string,
  description: string,
  extra: Record<string, unknown> = {},
) {
  return {
    name,
    agents: [{ id: 'worker', role: `${name} worker`, goal: 'Do the work' }],
    tasks: [{ id: 'work', description, expected_output: 'The result', agent: 'worker', ...extra }],
  };
}

export function step(id: string, description: string, extra: Record<string, unknown> = {}) {
  const { task, ...rest } = extra as { task?: Record<string, unknown> };
  return { id, crew: oneTaskCrew(id, description, task ?? {}), ...rest };
}
