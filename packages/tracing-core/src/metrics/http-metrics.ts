import { Counter, Gauge, type MetricValue } from 'prom-client';
import { getTracing } from '../setup.ts';
import { RedStore, scrapeTimeMetric } from './red-store.ts';
import { HTTP_DURATION_BUCKETS, type MetricsRegistry } from './registry.ts';

/** The RED metrics of HTTP servers, shared by every adapter that uses the same registry. */
export class HttpServerMetrics {
  readonly #store: RedStore;
  readonly tenantRejected: Counter<'header' | 'reason'>;
  readonly tenantRequests: Counter<'tenant'>;

  constructor(registry: MetricsRegistry, buckets: readonly number[] = HTTP_DURATION_BUCKETS) {
    const registers = [registry.registry];
    this.#store = new RedStore(buckets);
    const store = this.#store;
    const scrapeTime = (
      name: string,
      help: string,
      type: 'counter' | 'gauge' | 'histogram',
      values: () => MetricValue<string>[],
    ) =>
      registry.existing(name, () => {
        const metric = scrapeTimeMetric(name, help, type, values);
        registry.registry.registerMetric(metric as never);
        return metric;
      });
    scrapeTime(
      'http_server_request_duration_seconds',
      'Duration of HTTP server requests, from the first byte read to the last byte written.',
      'histogram',
      () => store.durationValues(),
    );
    scrapeTime('http_server_requests_total', 'HTTP server requests completed.', 'counter', () =>
      store.requestValues(),
    );
    scrapeTime('http_server_requests_in_flight', 'HTTP server requests being served now.', 'gauge', () =>
      store.inFlightValues(),
    );
    scrapeTime(
      'http_server_slow_requests_total',
      'HTTP server requests slower than the slow-request threshold.',
      'counter',
      () => store.slowValues(),
    );
    this.tenantRejected = registry.existing(
      'http_server_tenant_values_rejected_total',
      () =>
        new Counter({
          name: 'http_server_tenant_values_rejected_total',
          help: 'Tenant or user header values dropped because they were invalid.',
          labelNames: ['header', 'reason'],
          registers,
        }),
    );
    this.tenantRequests = registry.existing(
      'http_server_tenant_requests_total',
      () =>
        new Counter({
          name: 'http_server_tenant_requests_total',
          help: 'HTTP server requests per tenant (opt-in, capped; the rest count as "other").',
          labelNames: ['tenant'],
          registers,
        }),
    );
    registerPipelineMetrics(registry);
  }

  /** A request started (the in-flight gauge). */
  started(method: string): void {
    this.#store.started(method);
  }

  /**
   * Records one finished request; the exemplar links the latency to its trace in Grafana, stamped
   * `epochMillis` (when the request ended; read from the clock when not given).
   */
  observe(
    method: string,
    route: string,
    statusCode: string,
    seconds: number,
    traceId?: string,
    spanId?: string,
    epochMillis?: number,
  ): void {
    this.#store.finished(method, route, statusCode, seconds, traceId, spanId, epochMillis);
  }

  /** Counts a request slower than the slow-request threshold. */
  slow(method: string, route: string): void {
    this.#store.slow(method, route);
  }
}

const httpMetrics = new WeakMap<MetricsRegistry, HttpServerMetrics>();

/** The RED metrics of a registry, created once however many apps or adapters ask. */
export function httpServerMetrics(registry: MetricsRegistry): HttpServerMetrics {
  let metrics = httpMetrics.get(registry);
  if (metrics === undefined) {
    metrics = new HttpServerMetrics(registry);
    httpMetrics.set(registry, metrics);
  }
  return metrics;
}

/** Export-pipeline health, read from the live tracing handle at scrape time. */
function registerPipelineMetrics(registry: MetricsRegistry): void {
  const registers = [registry.registry];
  const stats = () => getTracing()?.exportStats();
  const monotonic = (
    name: string,
    help: string,
    read: (s: NonNullable<ReturnType<typeof stats>>) => number,
  ) =>
    registry.existing(
      name,
      () =>
        new Counter({
          name,
          help,
          registers,
          collect() {
            const current = stats();
            this.reset();
            if (current !== undefined) this.inc(read(current));
          },
        }),
    );
  monotonic('tracing_spans_exported_total', 'Spans the exporter acknowledged.', (s) => s.exported);
  monotonic(
    'tracing_spans_dropped_total',
    'Spans dropped because the export queue was full.',
    (s) => s.dropped,
  );
  monotonic('tracing_spans_failed_total', 'Spans lost with a failed or timed-out export.', (s) => s.failed);
  registry.existing(
    'tracing_span_queue_length',
    () =>
      new Gauge({
        name: 'tracing_span_queue_length',
        help: 'Spans waiting for export.',
        registers,
        collect() {
          this.set(stats()?.queued ?? 0);
        },
      }),
  );
}
