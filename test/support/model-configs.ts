/** Model configs that point at the scripted LLM server, with the context window a test needs. */
import type { ApiHarness } from './api-harness';
import type { ScriptedLlmServer } from './scripted-llm-server';

export async function scriptedModelConfig(
  api: ApiHarness,
  llm: ScriptedLlmServer,
  config: { name: string; model: string; context_window: number },
): Promise<Record<string, unknown>> {
  const created = await api.http.post('/api/v1/models', {
    token: api.adminToken,
    // The scripted server is on loopback: the system administrator allows that for the config.
    body: {
      ...config,
      base_url: `${llm.url}/v1`,
      allow_private_networks: true,
      api_key: `sk-${config.name}`,
    },
  });
  if (created.status !== 201) throw new Error(`model config: ${JSON.stringify(created.body)}`);
  return created.body as Record<string, unknown>;
}
