import type { HttpInstrumentationOptions } from '@maestro/tracing-core';
import type { Span } from '@opentelemetry/api';

/** Options of the Fastify plugin: the core HTTP options plus where `/metrics` is served. */
export interface FastifyTracingOptions extends HttpInstrumentationOptions {
  /**
   * Serve the metrics at this path on the app's own port; `false` to serve them elsewhere (e.g.
   * `startMetricsServer()` on a port of its own). Default `/metrics`. Never traced or counted.
   */
  metricsPath?: string | false;
  /** Require `Authorization: Bearer <token>` on the metrics path. Default: open. */
  metricsBearerToken?: string;
  /** How long `app.close()` waits for pending spans to be exported, in ms. Default 5000. */
  flushTimeoutMillis?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's SERVER span (non-recording when the request is not traced): add attributes and events. */
    readonly span: Span;
  }
  interface FastifyContextConfig {
    /** `false` leaves this route untraced and uncounted. Default true. */
    tracing?: boolean;
  }
}
