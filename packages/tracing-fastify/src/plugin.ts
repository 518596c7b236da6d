import { createMetricsHandler, HttpLifecycle, requestState } from '@maestro/tracing-core';
import { context, INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { routeConfigReader } from './route-config.ts';
import type { FastifyTracingOptions } from './types.ts';

const INSTALLED = Symbol.for('@maestro/tracing-fastify.installed');
const NOOP_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Adds the tracing hooks (and the metrics route) to a Fastify instance, synchronously. The plugin
 * uses it; so does the NestJS module, which must hook in before Nest registers its routes.
 * Throws a TypeError for a wrong option.
 */
export function registerTracingHooks(
  fastify: FastifyInstance,
  options: FastifyTracingOptions = {},
): HttpLifecycle {
  // Installed twice on one instance (the plugin, and Nest's module over the same Fastify): the
  // first installation serves both, so no request is traced or counted twice.
  const installed = (fastify as FastifyInstance & { [INSTALLED]?: HttpLifecycle })[INSTALLED];
  if (installed !== undefined) return installed;
  const metricsPath = options.metricsPath ?? '/metrics';
  if (metricsPath !== false && !metricsPath.startsWith('/')) {
    throw new TypeError(`metricsPath must start with "/", got ${JSON.stringify(metricsPath)}`);
  }
  const flushTimeout = options.flushTimeoutMillis ?? 5000;
  if (!Number.isFinite(flushTimeout) || flushTimeout < 0) {
    throw new TypeError(
      `flushTimeoutMillis must be a number >= 0, got ${String(options.flushTimeoutMillis)}`,
    );
  }
  // Fastify knows the route when the request arrives, so the route is set in onRequest.
  const lifecycle = new HttpLifecycle(options, { setsTraceResponseHeader: true });
  (fastify as FastifyInstance & { [INSTALLED]?: HttpLifecycle })[INSTALLED] = lifecycle;
  const tracingOn = lifecycle.tracing.enabled;

  // The request state lives in core, keyed by the raw request: nothing undeclared is added to
  // Fastify's request objects, whose fixed shape keeps its hot path fast.
  fastify.decorateRequest('span', {
    getter(this: FastifyRequest) {
      return requestState(this.raw)?.span ?? NOOP_SPAN;
    },
  });

  const routeConfig = routeConfigReader();
  fastify.addHook('onRequest', (request, reply, next) => {
    const config = routeConfig(request);
    if (config?.tracing === false) return next();
    const state = lifecycle.start(request.raw, reply.raw, request.url);
    if (state === undefined) return next();
    if (state.traceResponse !== undefined) reply.header('traceresponse', state.traceResponse);
    // The not-found handler's config names no url.
    state.route ??= config?.url;
    // With tracing off the request's context is the one already active: nothing to enter.
    if (!tracingOn) return next();
    context.with(state.context, next);
  });

  // Body parsing resumes from the socket's async context; re-enter the request's context so the
  // handler (and its own spans and outbound calls) run inside the server span. Without a body the
  // hooks run on synchronously from onRequest, still inside it: nothing to re-enter. With tracing
  // off there is no context of ours, and no hook: each one costs every request Fastify's hook runner.
  if (tracingOn) {
    fastify.addHook('preHandler', (request, _reply, next) => {
      const state = requestState(request.raw);
      if (state === undefined || context.active() === state.context) return next();
      context.with(state.context, next);
    });
  }

  fastify.addHook('onError', (_request, reply, error, next) => {
    lifecycle.recordError(reply.raw, error);
    next();
  });

  fastify.addHook('onClose', (_instance, next) => {
    lifecycle.tracing.forceFlush(flushTimeout).then(() => next(), next);
  });

  if (metricsPath !== false && options.metrics !== false) {
    const serveMetrics = createMetricsHandler({
      registry: typeof options.metrics === 'object' ? options.metrics.registry : undefined,
      bearerToken: options.metricsBearerToken,
    });
    fastify.get(metricsPath, { config: { tracing: false } }, (request, reply) => {
      reply.hijack();
      return serveMetrics(request.raw, reply.raw);
    });
  }
  return lifecycle;
}

const tracingPlugin: FastifyPluginCallback<FastifyTracingOptions> = (fastify, options, done) => {
  try {
    registerTracingHooks(fastify, options);
  } catch (error) {
    return done(error as Error);
  }
  done();
};

/**
 * Tracing, tenant context, slow-request tracking and RED metrics for Fastify 4 and 5: every route
 * of the instance and of its encapsulated children.
 *
 * @example
 * await app.register(fastifyTracing, { tracing: { serviceName: 'model-registry' } });
 */
export const fastifyTracing = fp(tracingPlugin, {
  fastify: '4.x || 5.x',
  name: '@maestro/tracing-fastify',
});
