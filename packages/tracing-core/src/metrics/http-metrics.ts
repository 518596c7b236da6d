import { diag } from '@opentelemetry/api';
import { Counter, Gauge, Histogram } from 'prom-client';
import { getTracing } from '../setup.ts';
import { HTTP_DURATION_BUCKETS, type MetricsRegistry } from './registry.ts';

type RedLabels = 'method' | 'route' | 'status_code';

/** The RED metrics of HTTP servers, shared by every adapter that uses the same registry. */
export class HttpServerMetrics {
  readonly duration: Histogram<RedLabels>;
  readonly requests: Counter<RedLabels>;
  readonly inFlight: Gauge<'method'>;
  readonly slow: Counter<'method' | 'route'>;
  readonly tenantRejected: Counter<'header' | 'reason'>;
  readonly tenantRequests: Counter<'tenant'>;

  constructor(registry: MetricsRegistry, buckets: readonly number[] = HTTP_DURATION_BUCKETS) {
    const registers = [registry.registry];
    const labelNames: RedLabels[] = ['method', 'route', 'status_code'];
    this.duration = registry.existing(
      'http_server_request_duration_seconds',
      () =>
        new Histogram({
          name: 'http_server_request_duration_seconds',
          help: 'Duration of HTTP server requests, from the first byte read to the last byte written.',
          labelNames,
          buckets: [...buckets],
          enableExemplars: true,
          registers,
        }),
    );
    this.requests = registry.existing(
      'http_server_requests_total',
      () =>
        new Counter({
          name: 'http_server_requests_total',
          help: 'HTTP server requests completed.',
          labelNames,
          registers,
        }),
    );
    this.inFlight = registry.existing(
      'http_server_requests_in_flight',
      () =>
        new Gauge({
          name: 'http_server_requests_in_flight',
          help: 'HTTP server requests being served now.',
          labelNames: ['method'],
          registers,
        }),
    );
    this.slow = registry.existing(
      'http_server_slow_requests_total',
      () =>
        new Counter({
          name: 'http_server_slow_requests_total',
          help: 'HTTP server requests slower than the slow-request threshold.',
          labelNames: ['method', 'route'],
          registers,
        }),
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

  /** Records one finished request; the exemplar links the latency to its trace in Grafana. */
  observe(
    method: string,
    route: string,
    statusCode: string,
    seconds: number,
    traceId?: string,
    spanId?: string,
  ): void {
    const labels = { method, route, status_code: statusCode };
    this.requests.inc(labels);
    // Only well-formed W3C ids become exemplars: OpenMetrics caps exemplar labels at 128 characters.
    const exemplar = traceId?.length === 32 && spanId?.length === 16;
    try {
      this.duration.observe(
        exemplar
          ? // prom-client types exemplar labels as metric labels; OpenMetrics allows any names.
            { labels, value: seconds, exemplarLabels: { trace_id: traceId, span_id: spanId } as never }
          : { labels, value: seconds },
      );
    } catch (error) {
      // prom-client counts the observation before it validates the exemplar: nothing is lost, and
      // a bad exemplar must never fail a request.
      diag.debug(`exemplar rejected: ${String(error)}`);
    }
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
