/**
 * One OpenTelemetry server span per API request, continuing the caller's trace when it sends
 * `traceparent`. The span is active while the request is handled, so the workflow it starts
 * (and every activity of it) joins the same trace through Temporal's client interceptor.
 */
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { RequestHandler } from 'express';

export function traceRequests(tracer: Tracer): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      `${req.method} ${req.path}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'url.path': req.path },
      },
      parent,
    );
    res.once('close', () => {
      // Name the span by its route template once routing has matched one.
      const route = (req.route as { path?: string } | undefined)?.path;
      if (typeof route === 'string') {
        const template = `${req.baseUrl}${route}`;
        span.updateName(`${req.method} ${template}`);
        span.setAttribute('http.route', template);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
