import type { IncomingMessage, ServerResponse } from 'node:http';
import { createMetricsHandler, HttpLifecycle } from '@maestro/tracing-core';
import { context } from '@opentelemetry/api';
import type { ExpressRequest } from './internal-types.ts';
import { expressRoute } from './route.ts';
import type { ExpressTracingOptions } from './types.ts';

type Next = (error?: unknown) => void;

/** The middleware {@link expressTracing} returns, with the error handler to add after your routes. */
export interface ExpressTracing {
  (request: IncomingMessage, response: ServerResponse, next: Next): void;
  /** Records an error on the request's span and passes it on, unchanged, to the next error handler. */
  readonly errorHandler: (
    error: unknown,
    request: IncomingMessage,
    response: ServerResponse,
    next: Next,
  ) => void;
  /** The core lifecycle behind it (its tracing handle and metrics). */
  readonly lifecycle: HttpLifecycle;
}

/**
 * Tracing, tenant context, slow-request tracking and RED metrics for an Express 4 or 5 app.
 * Add it first; add `errorHandler` after your routes so thrown errors are recorded on the span.
 *
 * @example
 * const tracing = expressTracing({ tracing: { serviceName: 'model-registry' } });
 * app.use(tracing);
 * // … routes …
 * app.use(tracing.errorHandler);
 */
export function expressTracing(options: ExpressTracingOptions = {}): ExpressTracing {
  const metricsPath = options.metricsPath ?? '/metrics';
  if (metricsPath !== false && !metricsPath.startsWith('/')) {
    throw new TypeError(`metricsPath must start with "/", got ${JSON.stringify(metricsPath)}`);
  }
  const lifecycle = new HttpLifecycle(options, {
    resolveRoute: (request) => expressRoute(request as ExpressRequest),
  });
  const registry = typeof options.metrics === 'object' ? options.metrics.registry : undefined;
  const serveMetrics =
    metricsPath === false || options.metrics === false
      ? undefined
      : createMetricsHandler({ registry, bearerToken: options.metricsBearerToken });

  const middleware = function maestroTracing(
    request: IncomingMessage,
    response: ServerResponse,
    next: Next,
  ): void {
    const url = (request as ExpressRequest).originalUrl ?? request.url ?? '/';
    // Served before the lifecycle starts: a scrape is never traced or counted itself.
    if (serveMetrics !== undefined && isPath(url, metricsPath as string) && request.method === 'GET') {
      serveMetrics(request, response).catch(next);
      return;
    }
    const state = lifecycle.start(request, response, url);
    if (state === undefined) {
      next();
      return;
    }
    context.with(state.context, next);
  } as ExpressTracing;

  Object.defineProperty(middleware, 'errorHandler', {
    value: function maestroTracingErrors(
      error: unknown,
      _request: IncomingMessage,
      response: ServerResponse,
      next: Next,
    ) {
      lifecycle.recordError(response, error);
      next(error);
    },
  });
  Object.defineProperty(middleware, 'lifecycle', { value: lifecycle });
  return middleware;
}

function isPath(url: string, path: string): boolean {
  return url === path || (url.startsWith(path) && (url[path.length] === '?' || url[path.length] === '/'));
}
