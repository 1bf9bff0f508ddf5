/**
 * Crews run end to end: the real API starts the workflow, a real worker runs it against a real
 * Temporal dev server, and the LLM is a local OpenAI-compatible server scripted by the test.
 */
import { RESEARCH_CREW } from '../support/crew-fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiHarness } from '../support/api-harness';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import {
  lastUserPrompt as lastUserMessage,
  type ScriptedLlmServer,
} from '../support/scripted-llm-server';

describe('crew executions', () => {
  let platform: Platform;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let files: string;

  beforeAll(async () => {
    files = mkdtempSync(path.join(tmpdir(), 'kasal-files-'));
    writeFileSync(path.join(files, 'notes.txt'), 'Temporal was founded in 2019.');
    platform = await startPlatform({
      OPENAI_API_KEY: 'sk-platform-default',
      KASAL_TOOLS_FILE_ROOT: files,
    });
    ({ llm, api } = platform);
  });
  afterAll(async () => {
    await platform?.close();
  });
  beforeEach(() => {
    llm.requests.length = 0;
  });

  const run = async (body: Record<string, unknown>) => {
    const started = await api.http.post('/api/v1/executions', { token: api.adminToken, body });
    expect(started.status).toBe(202);
    return started.body.execution_id as string;
  };
  const finished = (id: string) => finishedExecution(api, id);

  it('runs a sequential crew: tools, context passing, usage', async () => {
    llm.enqueue(
      {
        toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }],
        usage: { prompt_tokens: 10, completion_tokens: 5 },
      },
      {
        content: 'Fact: Temporal was founded in 2019.',
        usage: { prompt_tokens: 20, completion_tokens: 8 },
      },
      { content: 'Report: founded 2019.', usage: { prompt_tokens: 30, completion_tokens: 6 } },
    );
    const id = await run({
      crew: RESEARCH_CREW,
      inputs: { topic: 'Temporal' },
    });
    const execution = await finished(id);
    expect(execution).toMatchObject({
      status: 'COMPLETED',
      result: { output: 'Report: founded 2019.' },
      usage: { prompt_tokens: 60, completion_tokens: 19, total_tokens: 79 },
      live: false,
    });
    expect(
      execution.tasks.map((task: { key: string; status: string }) => [task.key, task.status]),
    ).toEqual([
      ['research', 'COMPLETED'],
      ['write', 'COMPLETED'],
    ]);
    expect(execution.tasks[0]).toMatchObject({
      output: 'Fact: Temporal was founded in 2019.',
      tool_calls: 1,
    });
    expect(execution.tasks[0].llm_calls).toHaveLength(2);

    expect(llm.requests).toHaveLength(3);
    const [first, second, third] = llm.requests;
    expect(first!.body.messages[0]!.content).toContain('You are Researcher');
    expect(lastUserMessage(first!)).toContain('Research Temporal');
    expect(first!.body.tools?.map((tool) => tool.function.name)).toEqual(['read_file']);
    expect(first!.headers.authorization).toBe('Bearer sk-platform-default');
    // The tool's result went back to the model.
    expect(second!.body.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: 'Temporal was founded in 2019.',
    });
    // The second task received the first task's output as context.
    expect(lastUserMessage(third!)).toContain('Fact: Temporal was founded in 2019.');
    expect(lastUserMessage(third!)).toContain('Write about Temporal');
  });

  it('returns a failing tool call to the agent as an observation', async () => {
    llm.enqueue(
      { toolCalls: [{ name: 'read_file', arguments: { path: '../../etc/passwd' } }] },
      { content: 'Could not read it.' },
    );
    const id = await run({
      crew: {
        name: 'Snoop',
        agents: [{ id: 'a', role: 'Reader', goal: 'Read', tools: ['read_file'] }],
        tasks: [{ id: 't', description: 'Read a file', expected_output: 'Text', agent: 'a' }],
      },
    });
    expect((await finished(id)).status).toBe('COMPLETED');
    const observation = llm.requests[1]!.body.messages.at(-1);
    expect(observation).toMatchObject({ role: 'tool' });
    expect(String(observation!.content)).toMatch(/^Error: .*outside/);
  });

  it('runs asynchronous tasks in parallel until a task needs them', async () => {
    let releaseA!: () => void;
    const aHeld = new Promise<void>((resolve) => (releaseA = resolve));
    let bArrived!: () => void;
    const bSeen = new Promise<void>((resolve) => (bArrived = resolve));
    llm.respondWith(async (request) => {
      const prompt = lastUserMessage(request);
      if (prompt.includes('Task A')) {
        await aHeld; // A only answers once B's request has arrived: they must overlap
        return { content: 'A done' };
      }
      if (prompt.includes('Task B')) {
        bArrived();
        releaseA();
        return { content: 'B done' };
      }
      return { content: `C used: ${prompt.includes('A done') && prompt.includes('B done')}` };
    });
    const id = await run({
      crew: {
        name: 'Parallel',
        agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
        tasks: [
          {
            id: 'a',
            description: 'Task A',
            expected_output: 'x',
            agent: 'a',
            async_execution: true,
          },
          {
            id: 'b',
            description: 'Task B',
            expected_output: 'x',
            agent: 'a',
            async_execution: true,
          },
          { id: 'c', description: 'Task C', expected_output: 'x', agent: 'a', context: ['a', 'b'] },
        ],
      },
    });
    await bSeen;
    const execution = await finished(id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toBe('C used: true');
  });

  it('lets a hierarchical manager delegate to coworkers', async () => {
    llm.enqueue(
      {
        toolCalls: [
          {
            name: 'delegate_work_to_coworker',
            arguments: {
              task: 'List three facts',
              context: 'About Temporal',
              coworker: 'Researcher',
            },
          },
        ],
      },
      { content: 'Three facts: a, b, c.' },
      { content: 'Final: a, b, c.' },
    );
    const id = await run({
      crew: {
        name: 'Managed',
        process: 'hierarchical',
        manager_llm: 'gpt-4o',
        agents: [
          { id: 'researcher', role: 'Researcher', goal: 'Research' },
          { id: 'writer', role: 'Writer', goal: 'Write' },
        ],
        tasks: [{ id: 'facts', description: 'Produce facts', expected_output: 'Facts' }],
      },
    });
    const execution = await finished(id);
    expect(execution).toMatchObject({ status: 'COMPLETED', result: { output: 'Final: a, b, c.' } });
    expect(execution.tasks[0]).toMatchObject({ delegations: 1 });
    const [manager, coworker, managerAgain] = llm.requests;
    expect(manager!.body.model).toBe('gpt-4o');
    expect(manager!.body.tools?.map((tool) => tool.function.name)).toEqual([
      'delegate_work_to_coworker',
      'ask_question_to_coworker',
    ]);
    expect(coworker!.body.messages[0]!.content).toContain('You are Researcher');
    expect(lastUserMessage(coworker!)).toContain('List three facts');
    expect(managerAgain!.body.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: 'Three facts: a, b, c.',
    });
  });

  it('validates output_json and sends the agent back with the errors', async () => {
    llm.enqueue(
      { content: '{"score": "high"}' },
      { content: '```json\n{"score": 0.9, "label": "good"}\n```' },
    );
    const id = await run({
      crew: {
        name: 'Structured',
        agents: [{ id: 'a', role: 'Rater', goal: 'Rate' }],
        tasks: [
          {
            id: 'rate',
            description: 'Rate it',
            expected_output: 'A score',
            agent: 'a',
            output_json: {
              type: 'object',
              properties: { score: { type: 'number' }, label: { type: 'string' } },
              required: ['score'],
            },
          },
        ],
      },
    });
    const execution = await finished(id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output_json).toEqual({ score: 0.9, label: 'good' });
    expect(execution.tasks[0].output_json).toEqual({ score: 0.9, label: 'good' });
    expect(lastUserMessage(llm.requests[1]!)).toContain('does not match the schema');
  });

  it('applies guardrails (code and LLM checks) with bounded retries', async () => {
    llm.enqueue(
      { content: 'short' }, // fails min_length
      { content: 'a long enough answer' }, // passes min_length
      { content: 'draft' }, // task 2 answer
      { content: '{"valid": false, "feedback": "mention Temporal"}' }, // LLM judge
      { content: 'draft about Temporal' },
      { content: '{"valid": true, "feedback": ""}' },
    );
    const id = await run({
      crew: {
        name: 'Guarded',
        agents: [{ id: 'a', role: 'Writer', goal: 'Write' }],
        tasks: [
          {
            id: 'one',
            description: 'Write one',
            expected_output: 'x',
            agent: 'a',
            guardrail: { type: 'min_length', min: 10 },
          },
          {
            id: 'two',
            description: 'Write two',
            expected_output: 'x',
            agent: 'a',
            guardrail: 'It must mention Temporal',
          },
        ],
      },
    });
    const execution = await finished(id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.tasks.map((task: { output: string }) => task.output)).toEqual([
      'a long enough answer',
      'draft about Temporal',
    ]);
    expect(lastUserMessage(llm.requests[1]!)).toContain('at least 10 characters');
    expect(lastUserMessage(llm.requests[4]!)).toContain('mention Temporal');

    llm.enqueue({ content: 'no' }, { content: 'nope' });
    const failing = await run({
      crew: {
        name: 'Too strict',
        agents: [{ id: 'a', role: 'Writer', goal: 'Write' }],
        tasks: [
          {
            id: 'one',
            description: 'Write',
            expected_output: 'x',
            agent: 'a',
            guardrail: { type: 'min_length', min: 50 },
            guardrail_max_retries: 1,
          },
        ],
      },
    });
    const failed = await finished(failing);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toContain('rejected 2 times');
    expect(failed.tasks[0]).toMatchObject({ status: 'FAILED' });
  });

  it('plans the tasks first when planning is on', async () => {
    llm.enqueue(
      { content: '{"plans": [{"task": "t", "plan": "1. look 2. write"}]}' },
      { content: 'Done by plan' },
    );
    const id = await run({
      crew: {
        name: 'Planned',
        planning: true,
        planning_llm: 'planner-model',
        agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
        tasks: [{ id: 't', description: 'Do it', expected_output: 'x', agent: 'a' }],
      },
    });
    const execution = await finished(id);
    expect(execution.status).toBe('COMPLETED');
    expect(llm.requests[0]!.body.model).toBe('planner-model');
    expect(lastUserMessage(llm.requests[0]!)).toContain('step-by-step plan');
    expect(lastUserMessage(llm.requests[1]!)).toContain('Plan:\n1. look 2. write');
    expect(execution.tasks[0].llm_calls.map((call: { step: string }) => call.step)).toContain(
      'planning',
    );
  });

  it('asks for the final answer without tools once max_iter is used up', async () => {
    llm.enqueue(
      { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] },
      { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] },
      { content: 'Best answer' },
    );
    const id = await run({
      crew: {
        name: 'Bounded',
        agents: [{ id: 'a', role: 'Reader', goal: 'Read', tools: ['read_file'], max_iter: 2 }],
        tasks: [{ id: 't', description: 'Read', expected_output: 'x', agent: 'a' }],
      },
    });
    expect((await finished(id)).result.output).toBe('Best answer');
    expect(llm.requests).toHaveLength(3);
    expect(llm.requests[2]!.body.tools).toBeUndefined();
    expect(lastUserMessage(llm.requests[2]!)).toContain('Give your best final answer now');
  });

  it('retries rate-limited LLM calls, honouring retry-after', async () => {
    llm.enqueue(
      { status: 429, error: { message: 'slow down' }, headers: { 'retry-after': '1' } },
      { content: 'after the wait' },
    );
    const id = await run({
      crew: {
        name: 'Limited',
        agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
        tasks: [{ id: 't', description: 'Work', expected_output: 'x', agent: 'a' }],
      },
    });
    expect((await finished(id)).result.output).toBe('after the wait');
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[1]!.receivedAt - llm.requests[0]!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it('fails the execution without retrying on an authentication error', async () => {
    llm.enqueue({ status: 401, error: { message: 'Incorrect API key provided' } });
    const id = await run({
      crew: {
        name: 'Unauthorised',
        agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
        tasks: [{ id: 't', description: 'Work', expected_output: 'x', agent: 'a' }],
      },
    });
    const execution = await finished(id);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toContain('HTTP 401 (Unauthorized)');
    // The endpoint's answer is not repeated: it may come from anything a group configured.
    expect(execution.error).not.toContain('Incorrect API key');
    expect(llm.requests).toHaveLength(1);
  });

  it("accepts Kasal's agents_yaml/tasks_yaml request and reports ignored fields", async () => {
    llm.enqueue({ content: 'yaml one' }, { content: 'yaml two' });
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        agents_yaml: {
          researcher: {
            role: 'Researcher',
            goal: 'Research {topic}',
            backstory: 'b',
            llm: 'gpt-4o-mini',
            embedder_config: { provider: 'x' },
          },
        },
        tasks_yaml: {
          research_task: {
            description: 'Research {topic}',
            expected_output: 'Facts',
            agent: 'researcher',
          },
          summary_task: {
            description: 'Summarise',
            expected_output: 'Summary',
            agent: 'researcher',
            context: ['research_task'],
          },
        },
        inputs: { topic: 'YAML' },
      },
    });
    expect(started.status).toBe(202);
    expect(started.body.ignored_fields).toEqual(['agents_yaml.researcher.embedder_config']);
    const execution = await finished(started.body.execution_id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.tasks.map((task: { key: string }) => task.key)).toEqual([
      'research_task',
      'summary_task',
    ]);

    const bad = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        agents_yaml: { researcher: { role: 'R', goal: 'G' } },
        tasks_yaml: { t: { description: 'D', expected_output: 'E', agent: 'nobody' } },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields).toEqual([
      {
        path: 'tasks_yaml.t.agent',
        message: "unknown agent 'nobody': not among the crew's agents",
      },
    ]);
  });

  it('rejects a missing input, an unknown tool and a bad request before starting anything', async () => {
    const before = (await api.http.get('/api/v1/executions', { token: api.adminToken })).body.total;
    const missing = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Needs input',
          agents: [{ id: 'a', role: 'R', goal: 'About {topic}', tools: ['teleport'] }],
          tasks: [{ id: 't', description: 'D {when}', expected_output: 'E', agent: 'a' }],
        },
      },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.fields).toEqual(
      expect.arrayContaining([
        { path: 'crew.agents[0].goal', message: 'missing input \'topic\' (pass it in "inputs")' },
        {
          path: 'crew.tasks[0].description',
          message: 'missing input \'when\' (pass it in "inputs")',
        },
        { path: 'crew.agents[0].tools[0]', message: "unknown tool 'teleport'" },
      ]),
    );
    const neither = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: { inputs: {} },
    });
    expect(neither.status).toBe(400);
    expect(neither.body.error.message).toContain('exactly one of');
    const unknownCrew = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: { crew_id: '00000000-0000-4000-8000-000000000000' },
    });
    expect(unknownCrew.status).toBe(400);
    expect(unknownCrew.body.error.details.fields[0].path).toBe('crew_id');
    expect((await api.http.get('/api/v1/executions', { token: api.adminToken })).body.total).toBe(
      before,
    );
    expect(llm.requests).toHaveLength(0);
  });
});
