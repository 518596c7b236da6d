import { exemplarTimestamp, parseOpenMetrics, promtoolCheck, sampleValue } from '@maestro/test-support';
import { Counter, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { traceSpan } from '../spans/helpers.ts';
import { createTestTracing } from '../testing/index.ts';
import { renderMetrics } from './exposition.ts';
import { httpServerMetrics } from './http-metrics.ts';
import { createMetricsRegistry } from './registry.ts';

describe('business metrics', () => {
  it('declares counters, gauges and histograms once, with their label names', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const trained = metrics.counter({
      name: 'maestro_models_trained_total',
      help: 'Models trained.',
      labelNames: ['framework'],
    });
    const running = metrics.gauge({ name: 'maestro_experiments_running', help: 'Experiments running now.' });
    const duration = metrics.histogram({
      name: 'maestro_training_duration_seconds',
      help: 'Training time.',
      labelNames: ['framework'],
      buckets: [1, 10, 60],
    });
    trained.inc({ framework: 'pytorch' });
    trained.inc({ framework: 'sklearn' }, 2);
    running.set({}, 3);
    running.dec();
    duration.observe({ framework: 'pytorch' }, 12);
    const stop = duration.startTimer({ framework: 'sklearn' });
    expect(stop()).toBeGreaterThanOrEqual(0);

    const text = await renderMetrics(metrics.registries(), false);
    expect(sampleValue(text, 'maestro_models_trained_total', { framework: 'sklearn' })).toBe(2);
    expect(sampleValue(text, 'maestro_experiments_running')).toBe(2);
    expect(
      sampleValue(text, 'maestro_training_duration_seconds_bucket', { framework: 'pytorch', le: '60' }),
    ).toBe(1);
    expect(promtoolCheck(text).ok).toBe(true);
  });

  it('returns the same metric when declared again the same way (hot reload), and refuses a clash', () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const first = metrics.counter({ name: 'maestro_jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    expect(metrics.counter({ name: 'maestro_jobs_total', help: 'Jobs.', labelNames: ['queue'] })).toBe(first);
    expect(() => metrics.gauge({ name: 'maestro_jobs_total', help: 'Jobs.', labelNames: ['queue'] })).toThrow(
      new TypeError('metric maestro_jobs_total is already declared as a counter with labels [queue]'),
    );
    expect(() =>
      metrics.counter({ name: 'maestro_jobs_total', help: 'Jobs.', labelNames: ['other'] }),
    ).toThrow(TypeError);
  });

  it('exposes other prom-client registries on the same endpoint', async () => {
    const theirs = new Registry();
    new Counter({
      name: 'legacy_events_total',
      help: 'Events from an older library.',
      registers: [theirs],
    }).inc(5);
    const metrics = createMetricsRegistry({ defaultMetrics: false, include: [theirs] });
    const text = await renderMetrics(metrics.registries(), false);
    expect(sampleValue(text, 'legacy_events_total')).toBe(5);
  });
});

describe('exposition', () => {
  it('names counter families without _total in OpenMetrics, and escapes label values', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    metrics
      .counter({ name: 'maestro_odd_total', help: 'Odd "values"\nhere.', labelNames: ['v'] })
      .inc({ v: 'a"b\\c\nd' });
    const open = await renderMetrics(metrics.registries(), true);
    expect(open).toContain('# TYPE maestro_odd counter');
    expect(open).toContain('maestro_odd_total{v="a\\"b\\\\c\\nd"} 1');
    expect(open.endsWith('# EOF\n')).toBe(true);
    expect(parseOpenMetrics(open).find((s) => s.name === 'maestro_odd_total')?.labels.v).toBe('a"b\\c\nd');
    const classic = await renderMetrics(metrics.registries(), false);
    expect(classic).toContain('# TYPE maestro_odd_total counter');
    expect(promtoolCheck(classic).ok).toBe(true);
  });

  it('renders the RED metrics right through prom-client’s own registry.metrics() too, before and after', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const http = httpServerMetrics(metrics);
    http.started('GET');
    http.observe('GET', '/models/:id', '200', 0.02, '0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331');
    http.slow('GET', '/models/:id');
    const own = await metrics.registry.metrics();
    expect(own).toContain('http_server_requests_total{method="GET",route="/models/:id",status_code="200"} 1');
    expect(own).not.toContain('_total_total');
    expect(parseOpenMetrics(own).find((s) => s.name === 'http_server_slow_requests_total')?.value).toBe(1);
    const classic = await renderMetrics(metrics.registries(), false);
    expect(sampleValue(classic, 'http_server_requests_total', { route: '/models/:id' })).toBe(1);
    expect(sampleValue(classic, 'http_server_request_duration_seconds_bucket', { le: '0.025' })).toBe(1);
    expect(sampleValue(classic, 'http_server_request_duration_seconds_bucket', { le: '0.01' })).toBe(0);
    expect(sampleValue(classic, 'http_server_requests_in_flight', { method: 'GET' })).toBe(0);
    expect(promtoolCheck(classic).ok).toBe(true);
    const open = parseOpenMetrics(await renderMetrics(metrics.registries(), true));
    const bucket = open.find(
      (s) => s.name === 'http_server_request_duration_seconds_bucket' && s.labels.le === '0.025',
    );
    expect(bucket?.exemplar).toEqual({
      labels: { trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' },
      value: 0.02,
    });
  });

  it('stamps an exemplar with the time it is given, else the time it is recorded', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const http = httpServerMetrics(metrics);
    const ids = ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'] as const;
    http.observe('GET', '/given', '200', 0.02, ...ids, 1_796_000_000_123.5);
    const before = Date.now();
    http.observe('GET', '/now', '200', 0.02, ...ids);
    const after = Date.now();
    const text = await renderMetrics(metrics.registries(), true);
    const stamp = (route: string) =>
      exemplarTimestamp(text, 'http_server_request_duration_seconds_bucket', { route }) ?? Number.NaN;
    expect(stamp('/given')).toBe(1_796_000_000.1235);
    expect(stamp('/now') * 1000).toBeGreaterThanOrEqual(before);
    expect(stamp('/now') * 1000).toBeLessThanOrEqual(after);
  });

  it('never lets a bad exemplar fail the observation', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const http = httpServerMetrics(metrics);
    expect(() => http.observe('GET', '/x', '200', 0.01, 'f'.repeat(200), 'e'.repeat(200))).not.toThrow();
    const text = await renderMetrics(metrics.registries(), true);
    expect(sampleValue(text, 'http_server_request_duration_seconds_count', { route: '/x' })).toBe(1);
    expect(text).not.toContain('f'.repeat(200));
  });
});

describe('pipeline health metrics', () => {
  const testing = createTestTracing();
  afterAll(() => testing.shutdown());

  it('are read from the live tracing handle at scrape time', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    httpServerMetrics(metrics);
    traceSpan('one', () => {});
    const text = await renderMetrics(metrics.registries(), false);
    for (const name of [
      'tracing_spans_exported_total',
      'tracing_spans_dropped_total',
      'tracing_spans_failed_total',
      'tracing_span_queue_length',
    ]) {
      expect(sampleValue(text, name)).toBe(0);
    }
    expect(promtoolCheck(text).ok).toBe(true);
  });
});
