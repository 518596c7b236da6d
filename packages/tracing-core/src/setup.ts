import {
  DiagConsoleLogger,
  DiagLogLevel,
  diag,
  ProxyTracerProvider,
  propagation,
  type Sampler,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type ResolvedTracingConfig, resolveTracingConfig } from './config/resolve.ts';
import { BoundedBatchSpanProcessor } from './export/bounded-batch-processor.ts';
import { createSpanExporter } from './export/exporters.ts';
import { enableInstrumentations } from './instrumentations.ts';
import { createPropagator } from './propagation/propagators.ts';
import { buildResource } from './resource.ts';
import { dependency } from './runtime/dependencies.ts';
import { keepNextTickShapesAlive } from './runtime/next-tick-shape.ts';
import { isUntracedThread } from './runtime/threads.ts';
import { createSampler, ExcludedPaths, RouteRatioSampler } from './sampling/samplers.ts';
import { ensureContextManager, INSTRUMENTATION_SCOPE, useTracer } from './spans/active-tracer.ts';
import { LeanTracer } from './spans/lean-tracer.ts';
import type { ExportStats, LogLevelName, TracingHandle, TracingOptions } from './types.ts';

const DIAG_LEVELS: Record<LogLevelName, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

const NO_STATS: ExportStats = Object.freeze({ exported: 0, dropped: 0, failed: 0, queued: 0 });

/** What adapters read from a handle: settings resolved once, at startup. */
export interface TracingRuntime extends TracingHandle {
  readonly config: ResolvedTracingConfig;
  readonly excludedPaths: ExcludedPaths;
  /**
   * Whether the sampler may read a new span's attributes: false only for the built-in samplers
   * chosen by name, which decide on the parent and the trace id alone, so a caller can skip
   * building start attributes that only a sampler would read.
   */
  readonly samplerReadsAttributes: boolean;
}

let current: TracingRuntime | undefined;

/** Lets the testing helper stand in for `configureTracing` while a test runs. */
export function setCurrentTracing(runtime: TracingRuntime | undefined): TracingRuntime | undefined {
  const previous = current;
  current = runtime;
  return previous;
}

/** The handle of the last {@link configureTracing} that is not shut down, if any. */
export function getTracing(): TracingRuntime | undefined {
  return current;
}

function isSampler(value: ResolvedTracingConfig['sampler']): value is Sampler {
  return typeof (value as Sampler).shouldSample === 'function';
}

function timeBound(work: Promise<void>, timeoutMillis: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMillis);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        diag.warn(`tracing flush failed: ${String(error)}`);
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/**
 * Sets up tracing in one call (the seed's `configure_tracing`): resource, exporter, bounded batch
 * export, sampler, propagators, the AsyncLocalStorage context and the outbound/data-store
 * instrumentations. Options win over `OTEL_*` variables, which win over defaults. Calling it again
 * while the first handle is live returns that handle. Inside our OTLP export worker and Node's
 * own threads (the module-hooks thread), where a preload from `NODE_OPTIONS` may call it, tracing
 * stays off.
 *
 * @example
 * const tracing = configureTracing({ serviceName: 'model-registry' });
 * process.on('SIGTERM', () => tracing.shutdown());
 */
export function configureTracing(options: TracingOptions = {}): TracingHandle {
  if (current !== undefined) {
    diag.debug('configureTracing was called again; returning the live handle');
    return current;
  }
  keepNextTickShapesAlive();
  current = startTracing(
    isUntracedThread() ? { ...options, enabled: false, registerGlobal: false } : options,
    (exporter, config) => new BoundedBatchSpanProcessor(exporter, config.batch),
  );
  return current;
}

/** How finished spans reach the exporter, and how the processor reports its counters. */
export type ProcessorFactory = (
  exporter: SpanExporter,
  config: ResolvedTracingConfig,
) => SpanProcessor & { stats?(): ExportStats };

/**
 * Builds a live runtime without the once-per-process guard: `configureTracing` uses it with the
 * bounded batch processor, the testing helper with a synchronous one.
 */
export function startTracing(options: TracingOptions, makeProcessor: ProcessorFactory): TracingRuntime {
  const { config, problems } = resolveTracingConfig(options);
  if (config.registerGlobal) {
    diag.setLogger(new DiagConsoleLogger(), {
      logLevel: DIAG_LEVELS[config.logLevel],
      suppressOverrideMessage: true,
    });
  }
  for (const problem of problems) diag.warn(`@maestro/tracing-core: ${problem}`);

  const propagator = createPropagator(config.propagators);
  const excludedPaths = new ExcludedPaths(config.excludePaths);
  const flushTimeout = config.batch.exportTimeoutMillis;

  if (!config.enabled) {
    const provider = new ProxyTracerProvider();
    const restoreTracer = useTracer(undefined);
    const handle: TracingRuntime = {
      enabled: false,
      serviceName: config.serviceName,
      tracerProvider: provider,
      tracer: provider.getTracer(INSTRUMENTATION_SCOPE),
      propagator,
      warnings: problems,
      config,
      excludedPaths,
      samplerReadsAttributes: false,
      exportStats: () => NO_STATS,
      forceFlush: async () => {},
      shutdown: async () => {
        if (current === handle) current = undefined;
        restoreTracer();
      },
    };
    return handle;
  }

  const processor = makeProcessor(createSpanExporter(config), config);
  const configuredSampler = isSampler(config.sampler)
    ? config.sampler
    : createSampler(config.sampler.name, config.sampler.ratio);
  const routeSampled = Object.keys(config.routeSampling).length > 0;
  const sampler = routeSampled
    ? new RouteRatioSampler(configuredSampler, config.routeSampling)
    : configuredSampler;
  const resource = buildResource(config);
  const { BasicTracerProvider } = dependency('@opentelemetry/sdk-trace-base');
  const provider = new BasicTracerProvider({
    resource,
    sampler,
    spanLimits: config.spanLimits,
    spanProcessors: [processor],
  });

  ensureContextManager();
  if (config.registerGlobal) {
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(propagator as TextMapPropagator);
  }
  // Our own spans skip the SDK Tracer's per-span overhead; instrumentations keep using the provider.
  const tracer = new LeanTracer({
    sampler,
    processor,
    resource,
    scope: { name: INSTRUMENTATION_SCOPE },
    spanLimits: config.spanLimits,
  });
  const restoreTracer = useTracer(tracer);
  const disableInstrumentations = enableInstrumentations(config.instrumentations, provider);

  let shutdownPromise: Promise<void> | undefined;
  const handle: TracingRuntime = {
    enabled: true,
    serviceName: config.serviceName,
    tracerProvider: provider,
    tracer,
    propagator,
    warnings: problems,
    config,
    excludedPaths,
    // Route ratios read `url.path`; a sampler of the user's own may read anything.
    samplerReadsAttributes: routeSampled || isSampler(config.sampler),
    exportStats: () => processor.stats?.() ?? NO_STATS,
    forceFlush: (timeoutMillis = flushTimeout) => timeBound(processor.forceFlush(), timeoutMillis),
    shutdown: (timeoutMillis = flushTimeout) => {
      shutdownPromise ??= (async () => {
        if (current === handle) current = undefined;
        disableInstrumentations();
        restoreTracer();
        if (config.registerGlobal) {
          trace.disable();
          propagation.disable();
        }
        await timeBound(provider.shutdown(), timeoutMillis);
      })();
      return shutdownPromise;
    },
  };
  return handle;
}
