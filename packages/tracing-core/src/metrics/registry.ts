import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type OpenMetricsContentType,
  Registry,
  type RegistryContentType,
} from 'prom-client';

/** Seconds buckets for an API: 5 ms to 10 s, dense where request latencies usually sit. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const NON_CONFORMING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

type LabelValues<L extends string> = Partial<Record<L, string | number>>;

/** What {@link MetricsRegistry.counter} declares: name, help and the label names, once. */
export interface MetricDeclaration<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface HistogramDeclaration<L extends string> extends MetricDeclaration<L> {
  /** Bucket upper bounds. Default {@link HTTP_DURATION_BUCKETS}. */
  buckets?: readonly number[];
}

export interface BusinessCounter<L extends string> {
  inc(labels?: LabelValues<L>, value?: number): void;
}
export interface BusinessGauge<L extends string> {
  set(labels: LabelValues<L>, value: number): void;
  inc(labels?: LabelValues<L>, value?: number): void;
  dec(labels?: LabelValues<L>, value?: number): void;
}
export interface BusinessHistogram<L extends string> {
  observe(labels: LabelValues<L>, value: number): void;
  /** Starts a timer; call the returned function to observe the elapsed seconds. */
  startTimer(labels?: LabelValues<L>): () => number;
}

/** Options of {@link createMetricsRegistry}. */
export interface MetricsRegistryOptions {
  /** Collect prom-client's default process metrics (CPU, memory, event-loop lag, GC). Default true. */
  defaultMetrics?: boolean;
  /** Other prom-client registries to expose on the same `/metrics` (e.g. prom-client's global `register`). */
  include?: readonly Registry<RegistryContentType>[];
}

/**
 * Our metrics live in a prom-client registry of their own (OpenMetrics-typed, which prom-client
 * requires for exemplars); `/metrics` renders it together with any registries you include.
 * Declaring a metric twice with the same shape returns the first one, so tests and hot reloads
 * can run the same setup again.
 */
export class MetricsRegistry {
  readonly registry: Registry<OpenMetricsContentType>;
  readonly #include: readonly Registry<RegistryContentType>[];

  constructor(options: MetricsRegistryOptions = {}) {
    // prom-client's typings miss the constructor's content-type argument.
    const OpenMetricsRegistry = Registry as unknown as new (
      contentType: string,
    ) => Registry<OpenMetricsContentType>;
    this.registry = new OpenMetricsRegistry(Registry.OPENMETRICS_CONTENT_TYPE);
    this.#include = options.include ?? [];
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client also exports these totals as gauges named `_total`, which promtool rejects;
      // the per-type `nodejs_active_*` gauges it keeps carry the same numbers.
      for (const name of NON_CONFORMING_DEFAULTS) this.registry.removeSingleMetric(name);
    }
  }

  /** Every registry `/metrics` renders. */
  registries(): readonly Registry<RegistryContentType>[] {
    return [this.registry, ...this.#include];
  }

  /**
   * Declares (or returns the already declared) counter.
   *
   * @example
   * const trained = metrics.counter({ name: 'maestro_models_trained_total', help: 'Models trained', labelNames: ['framework'] });
   * trained.inc({ framework: 'pytorch' });
   */
  counter<L extends string = never>(declaration: MetricDeclaration<L>): BusinessCounter<L> {
    return this.#declare(
      'counter',
      declaration,
      () =>
        new Counter({
          ...declaration,
          labelNames: [...(declaration.labelNames ?? [])],
          registers: [this.registry],
        } as CounterConfiguration<L>),
    );
  }

  /** Declares (or returns) a gauge, e.g. experiments running now. */
  gauge<L extends string = never>(declaration: MetricDeclaration<L>): BusinessGauge<L> {
    return this.#declare(
      'gauge',
      declaration,
      () =>
        new Gauge({
          ...declaration,
          labelNames: [...(declaration.labelNames ?? [])],
          registers: [this.registry],
        } as GaugeConfiguration<L>),
    );
  }

  /** Declares (or returns) a histogram, e.g. training duration in seconds. */
  histogram<L extends string = never>(declaration: HistogramDeclaration<L>): BusinessHistogram<L> {
    return this.#declare(
      'histogram',
      declaration,
      () =>
        new Histogram({
          ...declaration,
          labelNames: [...(declaration.labelNames ?? [])],
          buckets: [...(declaration.buckets ?? HTTP_DURATION_BUCKETS)],
          registers: [this.registry],
        } as HistogramConfiguration<L>),
    );
  }

  /** Internal: a metric of ours by name, created on first use. */
  existing<T>(name: string, create: () => T): T {
    return (this.registry.getSingleMetric(name) as T | undefined) ?? create();
  }

  #declare<T>(type: string, declaration: MetricDeclaration<string>, create: () => T): T {
    const existing = this.registry.getSingleMetric(declaration.name) as
      | { type?: string; labelNames?: string[] }
      | undefined;
    if (existing === undefined) return create();
    const sameLabels =
      JSON.stringify([...(existing.labelNames ?? [])].sort()) ===
      JSON.stringify([...(declaration.labelNames ?? [])].sort());
    if (existing.type !== type || !sameLabels) {
      throw new TypeError(
        `metric ${declaration.name} is already declared as a ${existing.type} with labels [${existing.labelNames?.join(', ')}]`,
      );
    }
    return existing as T;
  }
}

let defaultRegistry: MetricsRegistry | undefined;

/** The process-wide registry the adapters use unless given one; created on first use. */
export function getDefaultMetricsRegistry(): MetricsRegistry {
  defaultRegistry ??= new MetricsRegistry();
  return defaultRegistry;
}

/** Creates a separate registry (tests, or several apps in one process that must not mix metrics). */
export function createMetricsRegistry(options?: MetricsRegistryOptions): MetricsRegistry {
  return new MetricsRegistry(options);
}
