/**
 * A real MCP server over stdio, built with the SDK's server side, that the worker starts as a
 * command (`node stdio-server.ts`; Node runs TypeScript by stripping types). It records its pid
 * and every call in files the test names, so the test can kill it and count calls.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const FACTS: Record<string, string> = {
  temporal: 'Temporal was founded in 2019 by the creators of Cadence.',
  kasal: 'Kasal runs crews of AI agents.',
};

if (process.env.PID_FILE) writeFileSync(process.env.PID_FILE, String(process.pid));
const record = (line: string) => {
  if (process.env.CALLS_FILE) appendFileSync(process.env.CALLS_FILE, `${line}\n`);
};

const server = new McpServer({ name: 'facts', version: '1.0.0' });
server.registerTool(
  'lookup_fact',
  {
    description: 'Look up a fact about a topic',
    inputSchema: { topic: z.string().describe('The topic') },
  },
  ({ topic }) => {
    record(`lookup_fact ${topic}`);
    const fact = FACTS[topic.toLowerCase()];
    return fact
      ? {
          content: [
            { type: 'text', text: `${fact} (secret: ${process.env.FACT_SECRET ?? 'none'})` },
          ],
        }
      : { content: [{ type: 'text', text: `No fact about ${topic}` }], isError: true };
  },
);
server.registerTool('list_topics', { description: 'The topics there are facts about' }, () => ({
  content: [{ type: 'text', text: Object.keys(FACTS).join(', ') }],
}));

void server.connect(new StdioServerTransport());
