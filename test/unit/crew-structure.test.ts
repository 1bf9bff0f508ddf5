import { checkCrewStructure, findContextCycle } from '../../shared/definitions/crew-structure';

const agents = [
  { key: 'researcher', path: 'agents[0].id' },
  { key: 'writer', path: 'agents[1].id' },
];
const task = (key: string, index: number, context: string[] = [], agent?: string | null) => ({
  key,
  path: `tasks[${index}]`,
  agent: agent === null ? undefined : (agent ?? 'writer'),
  context,
});

describe('checkCrewStructure', () => {
  it('accepts a well-formed sequential crew', () => {
    expect(
      checkCrewStructure('sequential', agents, [
        task('a', 0),
        task('b', 1, ['a']),
        task('c', 2, ['a', 'b']),
      ]),
    ).toEqual([]);
  });

  it('requires an agent per task in a sequential crew but not in a hierarchical one', () => {
    const tasks = [task('a', 0, [], null)];
    expect(checkCrewStructure('sequential', agents, tasks)).toEqual([
      { path: 'tasks[0].agent', message: 'required when process is "sequential"' },
    ]);
    expect(checkCrewStructure('hierarchical', agents, tasks)).toEqual([]);
  });

  it('names duplicate ids, unknown agents and unknown or self context', () => {
    const issues = checkCrewStructure(
      'sequential',
      [...agents, { key: 'writer', path: 'agents[2].id' }],
      [task('a', 0, ['a']), task('b', 1, [], 'ghost'), task('b', 2, ['zzz'])],
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'agents[2].id', message: "duplicate agent id 'writer'" },
        { path: 'tasks[2]', message: "duplicate task id 'b'" },
        { path: 'tasks[1].agent', message: "unknown agent 'ghost': not among the crew's agents" },
        { path: 'tasks[0].context[0]', message: "task 'a' cannot use its own output" },
        { path: 'tasks[2].context[0]', message: "unknown task 'zzz': not among the crew's tasks" },
      ]),
    );
  });

  it('reports a context cycle with its path', () => {
    const tasks = [task('a', 0, ['c']), task('b', 1, ['a']), task('c', 2, ['b'])];
    expect(findContextCycle(tasks)).toEqual(['a', 'c', 'b', 'a']);
    expect(checkCrewStructure('sequential', agents, tasks)).toEqual([
      { path: 'tasks[0].context', message: 'context cycle: a → c → b → a' },
    ]);
  });

  it('rejects a context that points at a later task', () => {
    expect(checkCrewStructure('sequential', agents, [task('a', 0, ['b']), task('b', 1)])).toEqual([
      {
        path: 'tasks[0].context[0]',
        message:
          "task 'b' is listed after 'a'; a task can only use the output of tasks listed before it",
      },
    ]);
  });
});
