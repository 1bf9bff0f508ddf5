/**
 * OpenTelemetry: with an OTLP endpoint configured, the API request that starts a crew, the
 * workflow run and each activity are spans of one trace, exported to a real OTLP/HTTP receiver.
 */
import type { ApiHarness } from '../support/api-harness';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/processes';

describe('OpenTelemetry tracing', () => {
  let platform: Platform;
  let api: ApiHarness;
  let otlp: OtlpReceiver;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    platform = await startPlatform({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_SERVICE_NAME: 'kasal-traced',
    });
    platform.llm.respondWith(() => ({ content: 'Traced answer' }));
    api = platform.api;
  });
  afterAll(async () => {
    await platform?.close();
    await otlp?.close();
  });

  it('traces a run from the API request through the workflow to each activity', async () => {
    // The caller's own trace continues through the platform (W3C trace context).
    const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      headers: { traceparent: `00-${callerTraceId}-00f067aa0ba902b7-01` },
      body: {
        crew: {
          name: 'Traced',
          agents: [{ id: 'a', role: 'Analyst', goal: 'Answer' }],
          tasks: [{ id: 't', description: 'Answer briefly', expected_output: 'x', agent: 'a' }],
        },
      },
    });
    expect(started.status).toBe(202);
    expect((await finishedExecution(api, started.body.execution_id)).status).toBe('COMPLETED');

    const trace = (): ReceivedSpan[] => otlp.spans.filter((s) => s.traceId === callerTraceId);
    const named = (name: string) => trace().find((span) => span.name === name);
    // Spans are exported in batches: wait until the last activity's span has arrived.
    await waitFor('the exported spans', () =>
      named('POST /api/v1/executions') &&
      named('RunWorkflow:crewWorkflow') &&
      named('RunActivity:callLlm') &&
      named('RunActivity:finishExecution')
        ? true
        : undefined,
    );

    const request = named('POST /api/v1/executions');
    expect(request).toMatchObject({
      parentSpanId: '00f067aa0ba902b7',
      service: 'kasal-traced',
      attributes: { 'http.route': '/api/v1/executions', 'http.response.status_code': 202 },
    });
    const start = named('StartWorkflow:crewWorkflow');
    expect(start?.parentSpanId).toBe(request?.spanId);
    const run = named('RunWorkflow:crewWorkflow');
    expect(run?.parentSpanId).toBe(start?.spanId);
    // Each activity runs under the span the workflow opened when scheduling it.
    const llmRun = named('RunActivity:callLlm');
    const llmStart = trace().find((span) => span.spanId === llmRun?.parentSpanId);
    expect(llmStart?.name).toBe('StartActivity:callLlm');
    expect(llmStart?.parentSpanId).toBe(run?.spanId);
  });
});
