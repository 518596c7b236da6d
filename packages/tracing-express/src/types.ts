import type { HttpInstrumentationOptions } from '@maestro/tracing-core';

/** Options of {@link expressTracing}: the core HTTP options plus where `/metrics` is served. */
export interface ExpressTracingOptions extends HttpInstrumentationOptions {
  /**
   * Serve the metrics at this path on the app's own port; `false` to serve them elsewhere (e.g.
   * `startMetricsServer()` on a port of its own). Default `/metrics`. Never traced or counted.
   */
  metricsPath?: string | false;
  /** Require `Authorization: Bearer <token>` on the metrics path. Default: open. */
  metricsBearerToken?: string;
}
