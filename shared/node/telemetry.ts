/**
 * OpenTelemetry tracing for the API and the worker. When an OTLP endpoint is configured, API
 * requests, workflow starts/signals/queries, workflow runs and activities become spans of one
 * trace (Temporal's interceptors carry the context through workflow and activity headers) and
 * are exported over OTLP/HTTP. Without an endpoint nothing is registered and nothing runs.
 */
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { Config } from './config';

/** The module that adds tracing inside workflows; bundled with the workflow code. */
export const WORKFLOW_TRACING_MODULE =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface Telemetry {
  tracer: Tracer;
  /** For every Temporal client: start, signal, query and update calls become spans. */
  clientInterceptors: WorkflowClientInterceptor[];
  /** For workers: activity spans, workflow spans (a module bundled with the workflows) and their exporter sink. */
  worker: {
    activity: NonNullable<WorkerInterceptors['activity']>;
    workflowModules: string[];
    sinks: InjectedSinks<OpenTelemetrySinks>;
  };
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** Starts tracing for a process when an OTLP endpoint is configured; undefined otherwise. */
export function startTelemetry(
  config: Pick<Config, 'telemetry'>,
  service: string,
): Telemetry | undefined {
  const { tracesUrl, serviceName } = config.telemetry;
  if (!tracesUrl) return undefined;
  const resource = new Resource({ 'service.name': serviceName ?? service });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Global context manager (async local storage) and W3C trace-context propagation.
  provider.register();
  const tracer = provider.getTracer('kasal');
  return {
    tracer,
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor({ tracer })],
    worker: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
      workflowModules: [WORKFLOW_TRACING_MODULE],
      sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
    },
    shutdown: () => provider.shutdown(),
  };
}
