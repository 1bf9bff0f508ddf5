/**
 * Context windows (tokens) of well-known models, for agents that respect their context window
 * when a model config names none (see model-families.ts). Unknown models get a conservative
 * size, as CrewAI does.
 */
import { knownFor } from './model-families';

const KNOWN: [prefix: string, tokens: number][] = [
  ['gpt-4.1', 1_047_576],
  ['gpt-4o', 128_000],
  ['gpt-4-turbo', 128_000],
  ['gpt-4', 8_192],
  ['gpt-3.5-turbo', 16_385],
  ['gpt-5', 400_000],
  ['o1', 200_000],
  ['o3', 200_000],
  ['o4', 200_000],
  ['claude', 200_000],
  ['gemini-1.5', 1_000_000],
  ['gemini-2', 1_000_000],
  ['meta-llama-3-1', 128_000],
  ['meta-llama-3-3', 128_000],
  ['llama-3.1', 128_000],
  ['llama-3.3', 128_000],
  ['llama3', 8_192],
  ['mixtral', 32_768],
  ['mistral', 32_768],
  ['qwen2.5', 32_768],
  ['deepseek', 64_000],
];

/** When nothing is known about a model. */
export const DEFAULT_CONTEXT_WINDOW = 8_192;

export function knownContextWindow(model: string): number {
  return knownFor(model, KNOWN) ?? DEFAULT_CONTEXT_WINDOW;
}
