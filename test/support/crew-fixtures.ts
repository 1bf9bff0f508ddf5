/** Crews more than one test runs. */

/** Two agents, two tasks: research `{topic}` with `read_file`, then write it up. */
export const RESEARCH_CREW = {
  name: 'Research',
  agents: [
    {
      id: 'researcher',
      role: 'Researcher',
      goal: 'Find facts about {topic}',
      tools: ['read_file'],
    },
    { id: 'writer', role: 'Writer', goal: 'Write' },
  ],
  tasks: [
    {
      id: 'research',
      description: 'Research {topic}',
      expected_output: 'Facts',
      agent: 'researcher',
    },
    {
      id: 'write',
      description: 'Write about {topic}',
      expected_output: 'A report',
      agent: 'writer',
    },
  ],
};
