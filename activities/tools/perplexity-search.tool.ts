/**
 * The perplexity_search tool: asks Perplexity's search-backed models (the Sonar chat completions
 * API) a question and returns the answer followed by its numbered sources, so the answer's
 * [1], [2] markers point at the right links.
 */
import { z } from 'zod';
import { postJson } from './search-api';
import { parseToolArgs } from './tool-error';

export interface PerplexitySearchOptions {
  apiKey: string;
  /** Defaults to https://api.perplexity.ai; tests point it at a local server. */
  baseUrl?: string;
  /** Defaults to 'sonar'. */
  model?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

const PerplexitySearchArgs = z.strictObject(
  {
    query: z
      .string({
        error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string'),
      })
      .trim()
      .min(1, 'must not be empty')
      .max(4000, 'must be at most 4000 characters'),
    search_recency_filter: z
      .enum(['day', 'week', 'month', 'year'], {
        error: "must be one of 'day', 'week', 'month', 'year'",
      })
      .optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'arguments must be an object' : undefined) },
);

// OpenAI's chat completion shape, plus Perplexity's sources; only what is shown is kept.
const PerplexityResponse = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullish() }) })),
  citations: z.array(z.string()).nullish(),
  search_results: z
    .array(z.object({ title: z.string().nullish(), url: z.string(), date: z.string().nullish() }))
    .nullish(),
});

export async function perplexitySearch(
  args: unknown,
  options: PerplexitySearchOptions,
): Promise<string> {
  const { query, search_recency_filter } = parseToolArgs(
    'perplexity_search',
    PerplexitySearchArgs,
    args,
  );
  const base = (options.baseUrl ?? 'https://api.perplexity.ai').replace(/\/+$/, '');
  const answer = await postJson({
    service: 'Perplexity',
    url: `${base}/chat/completions`,
    headers: { Authorization: `Bearer ${options.apiKey}` },
    body: {
      model: options.model ?? 'sonar',
      messages: [{ role: 'user', content: query }],
      ...(search_recency_filter && { search_recency_filter }),
    },
    secret: options.apiKey,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  const parsed = PerplexityResponse.safeParse(answer);
  if (!parsed.success) throw new Error('Perplexity answered in a shape this tool does not know');
  const { choices, citations, search_results: results } = parsed.data;

  // The reasoning models think aloud first; the agent needs only the conclusion.
  const content = (choices[0]?.message.content ?? '').replace(/<think>[\s\S]*?<\/think>/g, '');
  const text = content.trim();
  if (text === '') throw new Error('Perplexity answered with no text');

  // The answer's [n] markers count the citations; search_results add titles and dates.
  const sources: { url: string; title?: string | null; date?: string | null }[] = citations?.length
    ? citations.map((url) => results?.find((result) => result.url === url) ?? { url })
    : (results ?? []);
  if (sources.length === 0) return text;
  const lines = sources.map(({ url, title, date }, index) => {
    const head = title ? `${title} — ${url}` : url;
    return `${index + 1}. ${head}${date ? ` (${date})` : ''}`;
  });
  return `${text}\n\nSources:\n${lines.join('\n')}`;
}
