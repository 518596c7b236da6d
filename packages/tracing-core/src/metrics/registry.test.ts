import { parseOpenMetrics, promtoolCheck, sampleValue } from '@maestro/test-support';
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
