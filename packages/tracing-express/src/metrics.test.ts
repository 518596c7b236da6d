import {
  fetchUntraced,
  type Listening,
  listen,
  parseOpenMetrics,
  promtoolCheck,
  sampleValue,
} from '@maestro/test-support';
import { createMetricsRegistry, type MetricsRegistry, startMetricsServer } from '@maestro/tracing-core';
import { createTestTracing } from '@maestro/tracing-core/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExpressTracingOptions, expressTracing } from './index.ts';

const testing = createTestTracing();
afterAll(() => testing.shutdown());

const request = fetchUntraced;

function modelsApp(registry: MetricsRegistry, options: ExpressTracingOptions = {}) {
  const app = express();
  const tracing = expressTracing({ tracing: testing.tracing, metrics: { registry }, ...options });
  app.use(tracing);
  app.get('/models/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.post('/models', (_req, res) => {
    res.status(201).json({ id: 'new' });
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.use(tracing.errorHandler);
  return app;
}

describe('/metrics on the app’s port', () => {
  const registry = createMetricsRegistry();
  const trained = registry.counter({
    name: 'maestro_models_trained_total',
    help: 'Models trained, by framework.',
    labelNames: ['framework'],
  });
  let app: Listening;

  beforeAll(async () => {
    app = await listen(modelsApp(registry));
    for (const id of ['m1', 'm2', 'm3']) await request(`${app.url}/models/${id}`);
    await request(`${app.url}/models`, { method: 'POST' });
    await request(`${app.url}/boom`);
    for (const path of ['/.env', '/wp-admin', '/phpmyadmin/index.php']) await request(`${app.url}${path}`);
    await request(`${app.url}/health`);
    trained.inc({ framework: 'pytorch' });
    trained.inc({ framework: 'pytorch' });
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
  afterAll(() => app.close());

  it('counts exactly the requests sent, by method, route template and status', async () => {
    const text = await (await request(`${app.url}/metrics`)).text();
    const count = (labels: Record<string, string>) => sampleValue(text, 'http_server_requests_total', labels);
    expect(count({ method: 'GET', route: '/models/:id', status_code: '200' })).toBe(3);
    expect(count({ method: 'POST', route: '/models', status_code: '201' })).toBe(1);
    expect(count({ method: 'GET', route: '/boom', status_code: '500' })).toBe(1);
    // Three scanner paths, one series.
    expect(count({ method: 'GET', route: 'unmatched', status_code: '404' })).toBe(3);
    expect(sampleValue(text, 'http_server_request_duration_seconds_count', { route: '/models/:id' })).toBe(3);
    expect(
      sampleValue(text, 'http_server_request_duration_seconds_bucket', { route: '/models/:id', le: '+Inf' }),
    ).toBe(3);
    expect(sampleValue(text, 'http_server_requests_in_flight', { method: 'GET' })).toBe(0);
    expect(sampleValue(text, 'maestro_models_trained_total', { framework: 'pytorch' })).toBe(2);
    // Neither the scrape nor the excluded health check counts.
    expect(text).not.toContain('route="/metrics"');
    expect(text).not.toContain('route="/health"');
  });

  it('serves Prometheus text that promtool accepts, with process metrics', async () => {
    const response = await request(`${app.url}/metrics`);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('nodejs_gc_duration_seconds');
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('tracing_spans_exported_total');
    const check = promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
  });

  it('serves OpenMetrics with trace exemplars when the scraper asks for it', async () => {
    const response = await request(`${app.url}/metrics`, {
      headers: { accept: 'application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5' },
    });
    expect(response.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    const samples = parseOpenMetrics(await response.text());
    const buckets = samples.filter(
      (s) => s.name === 'http_server_request_duration_seconds_bucket' && s.labels.route === '/models/:id',
    );
    const withExemplar = buckets.filter((s) => s.exemplar !== null);
    expect(withExemplar.length).toBeGreaterThan(0);
    const traceIds = new Set(testing.spans().map((span) => span.spanContext().traceId));
    for (const sample of withExemplar) {
      expect(sample.exemplar!.labels.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(sample.exemplar!.labels.span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(traceIds.has(sample.exemplar!.labels.trace_id!)).toBe(true);
    }
    const total = samples.find(
      (s) => s.name === 'http_server_requests_total' && s.labels.route === '/models/:id',
    );
    expect(total?.value).toBe(3);
  });
});

describe('/metrics protection and placement', () => {
  it('answers 401 without the bearer token and 200 with it', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const app = await listen(modelsApp(registry, { metricsBearerToken: 's3cret' }));
    try {
      expect((await request(`${app.url}/metrics`)).status).toBe(401);
      expect(
        (await request(`${app.url}/metrics`, { headers: { authorization: 'Bearer wrong!' } })).status,
      ).toBe(401);
      const ok = await request(`${app.url}/metrics`, { headers: { authorization: 'Bearer s3cret' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('http_server_requests_total');
    } finally {
      await app.close();
    }
  });

  it('serves metrics on a separate port, leaving the app’s /metrics to the app', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const app = await listen(modelsApp(registry, { metricsPath: false }));
    const metricsServer = await startMetricsServer({ registry, port: 0, host: '127.0.0.1' });
    try {
      await request(`${app.url}/models/m1`);
      expect((await request(`${app.url}/metrics`)).status).toBe(404);
      const port = (metricsServer.address() as { port: number }).port;
      const text = await (await request(`http://127.0.0.1:${port}/metrics`)).text();
      expect(sampleValue(text, 'http_server_requests_total', { route: '/models/:id' })).toBe(1);
      expect(promtoolCheck(text).ok).toBe(true);
      expect((await request(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      metricsServer.close();
      await app.close();
    }
  });

  it('lets two apps (tests, hot reload) register on one registry without errors, sharing series', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const first = await listen(modelsApp(registry));
    const second = await listen(modelsApp(registry));
    try {
      await request(`${first.url}/models/a`);
      await request(`${second.url}/models/b`);
      const text = await (await request(`${first.url}/metrics`)).text();
      expect(sampleValue(text, 'http_server_requests_total', { route: '/models/:id' })).toBe(2);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('caps the number of distinct routes; the rest share one label, in traces and metrics alike', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const app = express();
    const tracing = expressTracing({ tracing: testing.tracing, metrics: { registry }, maxRoutes: 2 });
    app.use(tracing);
    for (const name of ['a', 'b', 'c', 'd']) {
      app.get(`/${name}/:id`, (_req, res) => {
        res.send(name);
      });
    }
    const server = await listen(app);
    try {
      testing.reset();
      for (const name of ['a', 'b', 'c', 'd']) await request(`${server.url}/${name}/1`);
      const text = await (await request(`${server.url}/metrics`)).text();
      expect(sampleValue(text, 'http_server_requests_total', { route: '/a/:id' })).toBe(1);
      expect(sampleValue(text, 'http_server_requests_total', { route: '/b/:id' })).toBe(1);
      expect(sampleValue(text, 'http_server_requests_total', { route: 'other' })).toBe(2);
      const names = (await testing.waitForSpans(4)).map((span) => span.name).sort();
      expect(names).toEqual(['GET /a/:id', 'GET /b/:id', 'GET other', 'GET other']);
    } finally {
      await server.close();
    }
  });

  it('shares one span and one count when the middleware is installed twice on an app', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const app = express();
    app.use(expressTracing({ tracing: testing.tracing, metrics: { registry } }));
    app.use(expressTracing({ tracing: testing.tracing, metrics: { registry } }));
    app.get('/twice/:id', (_req, res) => {
      res.send('ok');
    });
    const server = await listen(app);
    try {
      testing.reset();
      await request(`${server.url}/twice/1`);
      const [span] = await testing.waitForSpans(1);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(testing.spans()).toHaveLength(1);
      expect(span!.name).toBe('GET /twice/:id');
      const text = await (await request(`${server.url}/metrics`)).text();
      expect(sampleValue(text, 'http_server_requests_total', { route: '/twice/:id' })).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('counts requests per tenant only when asked, with the number of tenant labels capped', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const app = express();
    app.use(
      expressTracing({
        tracing: testing.tracing,
        metrics: { registry },
        tenant: { metricLabel: true, maxTenantLabels: 1 },
      }),
    );
    app.get('/models/:id', (_req, res) => {
      res.send('ok');
    });
    const server = await listen(app);
    try {
      for (const tenant of ['acme', 'acme', 'globex', undefined]) {
        await request(`${server.url}/models/1`, {
          headers: tenant === undefined ? {} : { 'x-tenant-id': tenant },
        });
      }
      const text = await (await request(`${server.url}/metrics`)).text();
      expect(sampleValue(text, 'http_server_tenant_requests_total', { tenant: 'acme' })).toBe(2);
      expect(sampleValue(text, 'http_server_tenant_requests_total', { tenant: 'other' })).toBe(1);
      expect(sampleValue(text, 'http_server_tenant_requests_total', { tenant: 'none' })).toBe(1);
      expect(text).not.toContain('globex');
    } finally {
      await server.close();
    }
  });

  it('keeps serving metrics when tracing is disabled', async () => {
    const disabled = createTestTracing({ enabled: false });
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const app = express();
    app.use(expressTracing({ tracing: disabled.tracing, metrics: { registry } }));
    app.get('/models/:id', (_req, res) => {
      res.send('ok');
    });
    const server = await listen(app);
    try {
      await request(`${server.url}/models/1`);
      const text = await (await request(`${server.url}/metrics`)).text();
      expect(
        sampleValue(text, 'http_server_requests_total', { route: '/models/:id', status_code: '200' }),
      ).toBe(1);
      expect(disabled.spans()).toEqual([]);
    } finally {
      await server.close();
      await disabled.shutdown();
    }
  });
});
