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
  /**
   * Runs the tracing in front of the app's router instead of as its first middleware: the same
   * spans, metrics and `/metrics` route without a router layer, which Express 5 charges every request
   * a few µs for. Call it instead of `app.use(tracing)` (doing both is harmless: one span per request).
   * `app.use(tracing.errorHandler)` after your routes still records thrown errors.
   */
  readonly install: (app: ExpressApplication) => void;
}

/** An Express 4 or 5 application: what `express()` returns. */
export type ExpressApplication = (request: IncomingMessage, response: ServerResponse) => unknown;

type Handle = (request: IncomingMessage, response: ServerResponse, callback?: Next) => unknown;

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
  // With tracing off a request's context is the one already active: nothing to enter.
  const tracingOn = lifecycle.tracing.enabled;
  const registry = typeof options.metrics === 'object' ? options.metrics.registry : undefined;
  const serveMetrics =
    metricsPath === false || options.metrics === false
      ? undefined
      : createMetricsHandler({ registry, bearerToken: options.metricsBearerToken });

  // Served before the lifecycle starts: a scrape is never traced or counted itself.
  const isScrape = (request: IncomingMessage, url: string): boolean =>
    serveMetrics !== undefined && request.method === 'GET' && isPath(url, metricsPath as string);

  const middleware = function maestroTracing(
    request: IncomingMessage,
    response: ServerResponse,
    next: Next,
  ): void {
    const url = (request as ExpressRequest).originalUrl ?? request.url ?? '/';
    if (isScrape(request, url)) {
      serveMetrics!(request, response).catch(next);
      return;
    }
    const state = lifecycle.start(request, response, url);
    if (state === undefined || !tracingOn) {
      next();
      return;
    }
    context.with(state.context, next);
  } as ExpressTracing;

  const install = (app: ExpressApplication): void => {
    const target = app as unknown as { handle?: Handle };
    const handle = target.handle;
    if (typeof handle !== 'function') {
      throw new TypeError('install(app) needs an Express application (one made by express())');
    }
    // Express's app function hands every request (and a mounted app every request of its path) to
    // app.handle, which runs the router: wrapping it starts the request before any router layer.
    target.handle = function tracedHandle(
      this: unknown,
      request: IncomingMessage,
      response: ServerResponse,
      callback?: Next,
    ) {
      const url = (request as ExpressRequest).originalUrl ?? request.url ?? '/';
      if (isScrape(request, url)) {
        serveMetrics!(request, response).catch((error: unknown) => response.destroy(toError(error)));
        return;
      }
      const state = lifecycle.start(request, response, url);
      if (state === undefined || !tracingOn) return handle.call(this, request, response, callback);
      return context.with(state.context, handle, this, request, response, callback);
    };
  };

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
  Object.defineProperty(middleware, 'install', { value: install });
  return middleware;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function isPath(url: string, path: string): boolean {
  return url === path || (url.startsWith(path) && (url[path.length] === '?' || url[path.length] === '/'));
}
