/**
 * The serper_search tool: a Google web or news search through Serper (serper.dev), returned as
 * numbered results (title, link, snippet), after Google's direct answer when there is one.
 */
import { z } from 'zod';
import { postJson } from './search-api';
import { parseToolArgs } from './tool-error';

export interface SerperSearchOptions {
  apiKey: string;
  /** Defaults to https://google.serper.dev; tests point it at a local server. */
  baseUrl?: string;
  timeoutMs: number;
  /** Results returned when the agent does not ask for a number (10 when unset). */
  defaultResults?: number;
  signal?: AbortSignal;
}

const SerperSearchArgs = z.strictObject(
  {
    query: z
      .string({
        error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string'),
      })
      .trim()
      .min(1, 'must not be empty')
      .max(2000, 'must be at most 2000 characters'),
    n_results: z
      .number({ error: 'must be an integer' })
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .max(20, 'must be at most 20')
      .optional(),
    search_type: z
      .enum(['search', 'news'], { error: "must be 'search' or 'news'" })
      .default('search'),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'arguments must be an object' : undefined) },
);

// Serper answers with more than this; only what an agent needs to read is kept.
const Result = z.object({
  title: z.string().optional(),
  link: z.string().optional(),
  snippet: z.string().optional(),
  date: z.string().optional(),
  source: z.string().optional(),
});
const SerperResponse = z.object({
  organic: z.array(Result).optional(),
  news: z.array(Result).optional(),
  answerBox: z
    .object({
      answer: z.string().optional(),
      snippet: z.string().optional(),
      title: z.string().optional(),
    })
    .optional(),
  knowledgeGraph: z
    .object({ title: z.string().optional(), description: z.string().optional() })
    .optional(),
});

export async function serperSearch(args: unknown, options: SerperSearchOptions): Promise<string> {
  const { query, n_results, search_type } = parseToolArgs('serper_search', SerperSearchArgs, args);
  const num = n_results ?? options.defaultResults ?? 10;
  const base = (options.baseUrl ?? 'https://google.serper.dev').replace(/\/+$/, '');
  const answer = await postJson({
    service: 'Serper',
    url: `${base}/${search_type}`,
    headers: { 'X-API-KEY': options.apiKey },
    body: { q: query, num },
    secret: options.apiKey,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  const parsed = SerperResponse.safeParse(answer);
  if (!parsed.success) throw new Error('Serper answered in a shape this tool does not know');
  const { organic, news, answerBox, knowledgeGraph } = parsed.data;

  const parts: string[] = [];
  const direct = answerBox?.answer ?? answerBox?.snippet;
  if (direct) parts.push(`Answer: ${direct}${answerBox?.title ? ` (${answerBox.title})` : ''}`);
  if (knowledgeGraph?.title && knowledgeGraph.description) {
    parts.push(`${knowledgeGraph.title}: ${knowledgeGraph.description}`);
  }
  const results = (search_type === 'news' ? news : organic) ?? [];
  const numbered = results.slice(0, num).map((result, index) => {
    const about = [result.source, result.date].filter(Boolean).join(', ');
    return [
      `${index + 1}. ${result.title ?? '(untitled)'}${about ? ` (${about})` : ''}`,
      ...(result.link ? [`   ${result.link}`] : []),
      ...(result.snippet ? [`   ${result.snippet}`] : []),
    ].join('\n');
  });
  const kind = search_type === 'news' ? 'News results' : 'Results';
  parts.push(
    numbered.length > 0
      ? `${kind} for "${query}":\n\n${numbered.join('\n\n')}`
      : `No ${kind.toLowerCase()} for "${query}".`,
  );
  return parts.join('\n\n');
}
