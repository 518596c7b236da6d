import type { HttpInstrumentationOptions } from '@maestro/tracing-core';
import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';

/** Options of {@link TracingModule.forRoot}: the core HTTP options plus Nest's own. */
export interface TracingModuleOptions extends HttpInstrumentationOptions {
  /**
   * Serve the metrics at this path on the app's port, ahead of Nest's guards (a global auth guard
   * does not lock Prometheus out; use `metricsBearerToken` to protect it). `false` to not serve
   * them there. Default `/metrics`, or `false` when `metricsPort` is set.
   */
  metricsPath?: string | false;
  /** Require `Authorization: Bearer <token>` to read the metrics. Default: open. */
  metricsBearerToken?: string;
  /** Serve the metrics on a separate port instead (e.g. 9464). Default: none. */
  metricsPort?: number;
  /** Interface of the separate metrics port. Default `0.0.0.0`. */
  metricsHost?: string;
  /** A span per controller handler (`ModelsController.findOne`), child of the request span. Default true. */
  handlerSpans?: boolean;
  /** How long shutdown waits for pending spans to be exported, in ms. Default 5000. */
  flushTimeoutMillis?: number;
}

/** Options of {@link TracingModule.forRootAsync}, e.g. from `ConfigService`. */
export interface TracingModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...args: never[]) => TracingModuleOptions | Promise<TracingModuleOptions>;
}
