import type { MetricObjectWithValues, MetricValue } from 'prom-client';

interface Exemplar {
  labelSet: { trace_id: string; span_id: string };
  value: number;
  timestamp: number;
}

/** One (method, route, status) series: the histogram and the request counter share it. */
class Series {
  count = 0;
  sum = 0;
  readonly buckets: Float64Array;
  exemplars: Array<Exemplar | undefined> | undefined;

  constructor(
    readonly method: string,
    readonly route: string,
    readonly statusCode: string,
    bucketCount: number,
  ) {
    this.buckets = new Float64Array(bucketCount);
  }
}

/**
 * Per-request bookkeeping of the RED metrics at the cost of one Map lookup and a few additions.
 * prom-client hashes every label set on every observation (several times per request for a
 * histogram, a counter and a gauge); here series are keyed once by a plain string and turned
 * into prom-client's values only when Prometheus scrapes.
 */
export class RedStore {
  readonly #bounds: readonly number[];
  /**
   * By route, then status, then method: three lookups of strings whose hashes are already cached
   * (route labels, status texts and methods are shared strings), instead of building and hashing a
   * key string per request.
   */
  readonly #series = new Map<string, Map<string, Map<string, Series>>>();
  readonly #inFlight = new Map<string, { value: number }>();
  readonly #slow = new Map<string, { method: string; route: string; count: number }>();

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
  }

  started(method: string): void {
    const gauge = this.#inFlight.get(method);
    if (gauge === undefined) this.#inFlight.set(method, { value: 1 });
    else gauge.value++;
  }

  finished(
    method: string,
    route: string,
    statusCode: string,
    seconds: number,
    traceId: string | undefined,
    spanId: string | undefined,
    epochMillis?: number,
  ): void {
    const gauge = this.#inFlight.get(method);
    if (gauge !== undefined) gauge.value--;
    const series = this.#seriesOf(method, route, statusCode);
    series.count++;
    series.sum += seconds;
    let bucket = 0;
    while (bucket < this.#bounds.length && seconds > this.#bounds[bucket]!) bucket++;
    if (bucket < this.#bounds.length) series.buckets[bucket]!++;
    // Only well-formed W3C ids become exemplars: OpenMetrics caps exemplar labels at 128 characters.
    if (traceId?.length === 32 && spanId?.length === 16) {
      series.exemplars ??= new Array(this.#bounds.length + 1);
      series.exemplars[bucket] = {
        labelSet: { trace_id: traceId, span_id: spanId },
        value: seconds,
        timestamp: (epochMillis ?? Date.now()) / 1000,
      };
    }
  }

  #seriesOf(method: string, route: string, statusCode: string): Series {
    let byStatus = this.#series.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.#series.set(route, byStatus);
    }
    let byMethod = byStatus.get(statusCode);
    if (byMethod === undefined) {
      byMethod = new Map();
      byStatus.set(statusCode, byMethod);
    }
    let series = byMethod.get(method);
    if (series === undefined) {
      series = new Series(method, route, statusCode, this.#bounds.length);
      byMethod.set(method, series);
    }
    return series;
  }

  slow(method: string, route: string): void {
    const key = `${method} ${route}`;
    const entry = this.#slow.get(key);
    if (entry === undefined) this.#slow.set(key, { method, route, count: 1 });
    else entry.count++;
  }

  durationValues(): MetricValue<string>[] {
    const values: Array<MetricValue<string> & { metricName: string; exemplar?: Exemplar | null }> = [];
    for (const series of this.#allSeries()) {
      const labels = { method: series.method, route: series.route, status_code: series.statusCode };
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += series.buckets[i]!;
        values.push({
          metricName: 'http_server_request_duration_seconds_bucket',
          labels: { le: this.#bounds[i]!, ...labels },
          value: cumulative,
          exemplar: series.exemplars?.[i] ?? null,
        });
      }
      values.push({
        metricName: 'http_server_request_duration_seconds_bucket',
        labels: { le: '+Inf', ...labels },
        value: series.count,
        exemplar: series.exemplars?.[this.#bounds.length] ?? null,
      });
      values.push({ metricName: 'http_server_request_duration_seconds_sum', labels, value: series.sum });
      values.push({ metricName: 'http_server_request_duration_seconds_count', labels, value: series.count });
    }
    return values;
  }

  requestValues(): MetricValue<string>[] {
    return this.#allSeries().map((series) => ({
      labels: { method: series.method, route: series.route, status_code: series.statusCode },
      value: series.count,
    }));
  }

  inFlightValues(): MetricValue<string>[] {
    return [...this.#inFlight].map(([method, gauge]) => ({ labels: { method }, value: gauge.value }));
  }

  #allSeries(): Series[] {
    const all: Series[] = [];
    for (const byStatus of this.#series.values()) {
      for (const byMethod of byStatus.values()) all.push(...byMethod.values());
    }
    return all;
  }

  slowValues(): MetricValue<string>[] {
    return [...this.#slow.values()].map(({ method, route, count }) => ({
      labels: { method, route },
      value: count,
    }));
  }
}

type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * A metric prom-client's registry can hold and render (its own `metrics()` included) whose
 * values are computed at scrape time.
 */
export function scrapeTimeMetric(
  name: string,
  help: string,
  type: MetricType,
  values: () => MetricValue<string>[],
) {
  const metric = {
    // prom-client's own OpenMetrics rendering renames counters in place; read the name back.
    name,
    help,
    type,
    aggregator: 'sum' as const,
    labelNames: [] as string[],
    get: async (): Promise<MetricObjectWithValues<MetricValue<string>>> =>
      ({
        name: metric.name,
        help,
        type: type as never,
        aggregator: 'sum',
        values: values(),
      }) as unknown as MetricObjectWithValues<MetricValue<string>>,
    reset: () => {},
  };
  return metric;
}
