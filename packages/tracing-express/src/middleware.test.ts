import { connect } from 'node:net';
import { fetchUntraced, type Listening, listen, sampleValue } from '@maestro/test-support';
import { createMetricsRegistry, type SlowRequestLog, setSpanAttributes } from '@maestro/tracing-core';
import { createTestTracing } from '@maestro/tracing-core/testing';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ExpressTracingOptions, expressTracing } from './index.ts';

// Express is imported before tracing is set up, as in most apps: no patching, so order is free.
const testing = createTestTracing({
  instrumentations: { http: false, undici: true, pg: false, ioredis: false },
});
beforeAll(() => {
  propagation.setGlobalPropagator(testing.tracing.propagator);
});
afterEach(() => testing.reset());
afterAll(async () => {
  propagation.disable();
  await testing.shutdown();
});

class ModelNotFoundError extends Error {}

const request = fetchUntraced;

type ExpressFactory = typeof express5;
type Installation = 'app.use(tracing)' | 'tracing.install(app)';
const versions: Array<[string, ExpressFactory, Installation]> = [
  ['Express 5', express5, 'app.use(tracing)'],
  ['Express 4', express4 as unknown as ExpressFactory, 'app.use(tracing)'],
  ['Express 5', express5, 'tracing.install(app)'],
  ['Express 4', express4 as unknown as ExpressFactory, 'tracing.install(app)'],
];

describe.each(versions)('%s, %s', (_name, express, installation) => {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const slowLines: SlowRequestLog[] = [];
  let app: Listening;

  function buildApp(options: ExpressTracingOptions = {}) {
    const application = express();
    const tracing = expressTracing({
      tracing: testing.tracing,
      metrics: { registry },
      slowRequestThresholdMs: 50,
      slowRequestLogger: (line) => slowLines.push(line),
      captureRequestHeaders: ['x-request-id', 'authorization', 'cookie'],
      ...options,
    });
    if (installation === 'tracing.install(app)') tracing.install(application);
    else application.use(tracing);
    application.get('/health', (_req, res) => {
      res.send('ok');
    });
    application.get('/models/:id', (req, res) => {
      setSpanAttributes({ 'model.id': String(req.params.id) });
      res.json({ id: req.params.id });
    });
    application.get('/models', (_req, res) => {
      res.json([]);
    });
    application.get('/fail', () => {
      throw new ModelNotFoundError('model m9 is gone');
    });
    application.get('/unavailable', (_req, res) => {
      res.status(503).send('try later');
    });
    application.get('/slow', (_req, res) => {
      setTimeout(() => res.send('done'), 80);
    });
    application.get('/hang', () => {
      // never answers: the client gives up
    });
    const api = express.Router();
    const v1 = express.Router();
    v1.get('/experiments/:experimentId/runs', (_req, res) => {
      res.send('runs');
    });
    api.use('/v1', v1);
    application.use('/api', api);
    const tenantRouter = express.Router({ mergeParams: true });
    tenantRouter.get('/models/:id', (_req, res) => {
      res.send('tenant model');
    });
    application.use('/tenants/:tenantId', tenantRouter);
    const admin = express();
    admin.get('/stats', (_req, res) => {
      res.send('stats');
    });
    application.use('/admin', admin);
    application.get('/downstream', async (req, res) => {
      const response = await fetch(`${app.url}/models/${String(req.query.id ?? 'm1')}`); // traced: the app's own call
      res.json(await response.json());
    });
    application.use(tracing.errorHandler);
    return application;
  }

  beforeAll(async () => {
    app = await listen(buildApp());
  });
  afterAll(() => app.close());
  afterEach(() => {
    slowLines.length = 0;
  });

  it('makes one SERVER span named after the route template, with semantic-convention attributes', async () => {
    const response = await request(`${app.url}/models/m42`, {
      headers: { 'user-agent': 'vitest', 'x-request-id': 'req-1' },
    });
    expect(await response.json()).toEqual({ id: 'm42' });
    const [span] = await testing.waitForSpans(1);
    expect(testing.spans()).toHaveLength(1);
    expect(span!.name).toBe('GET /models/:id');
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    const port = Number(new URL(app.url).port);
    expect(span!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/models/m42',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
      'server.address': '127.0.0.1',
      'server.port': port,
      'client.address': '127.0.0.1',
      'user_agent.original': 'vitest',
      'http.request.header.x-request-id': ['req-1'],
      'http.route': '/models/:id',
      'http.response.status_code': 200,
      'model.id': 'm42',
    });
  });

  it('continues the trace of an incoming traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await request(`${app.url}/models/m1`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const [span] = await testing.waitForSpans(1);
    expect(span!.spanContext().traceId).toBe(traceId);
    expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span!.parentSpanContext?.isRemote).toBe(true);
  });

  it('starts a fresh trace for a malformed traceparent and still answers', async () => {
    const response = await request(`${app.url}/models/m1`, {
      headers: { traceparent: '00-zzzz-00f067aa0ba902b7-01' },
    });
    expect(response.status).toBe(200);
    const [span] = await testing.waitForSpans(1);
    expect(span!.parentSpanContext).toBeUndefined();
  });

  it('sends traceresponse with the server span’s ids', async () => {
    const response = await request(`${app.url}/models/m1`);
    const [span] = await testing.waitForSpans(1);
    const { traceId, spanId } = span!.spanContext();
    expect(response.headers.get('traceresponse')).toBe(`00-${traceId}-${spanId}-01`);
  });

  it.each([
    ['/api/v1/experiments/e7/runs', 'GET /api/v1/experiments/:experimentId/runs'],
    ['/tenants/acme/models/m3', 'GET /tenants/:tenantId/models/:id'],
    ['/admin/stats', 'GET /admin/stats'],
  ])('names nested routers and mounted sub-apps by their full template: %s', async (path, name) => {
    expect((await request(`${app.url}${path}`)).status).toBe(200);
    const [span] = await testing.waitForSpans(1);
    expect(span!.name).toBe(name);
    expect(span!.attributes['http.route']).toBe(name.slice(4));
  });

  it('names an unmatched request by its method only', async () => {
    const response = await request(`${app.url}/wp-login.php?x=1`);
    expect(response.status).toBe(404);
    const [span] = await testing.waitForSpans(1);
    expect(span!.name).toBe('GET');
    expect(span!.attributes['http.route']).toBeUndefined();
    expect(span!.attributes['http.response.status_code']).toBe(404);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('records a thrown error, marks the span ERROR and lets Express answer 500', async () => {
    const response = await request(`${app.url}/fail`);
    expect(response.status).toBe(500);
    const [span] = await testing.waitForSpans(1);
    expect(span!.name).toBe('GET /fail');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe('ModelNotFoundError');
    const exception = span!.events.find((event) => event.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('model m9 is gone');
  });

  it('marks a 5xx answer ERROR with error.type set to the status code', async () => {
    expect((await request(`${app.url}/unavailable`)).status).toBe(503);
    const [span] = await testing.waitForSpans(1);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe('503');
  });

  it('ends the span exactly once when the client aborts', async () => {
    const socket = connect(Number(new URL(app.url).port), '127.0.0.1');
    socket.write('GET /hang HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    const [span] = await testing.waitForSpans(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(testing.spans()).toHaveLength(1);
    expect(span!.name).toBe('GET /hang');
    expect(span!.events.map((event) => event.name)).toContain('http.request.aborted');
    expect(span!.attributes['http.response.status_code']).toBeUndefined();
  });

  it('gives excluded endpoints no span and no metrics', async () => {
    const before = sampleValue(await registry.registry.metrics(), 'http_server_requests_total', {
      route: '/health',
    });
    expect(await (await request(`${app.url}/health`)).text()).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(testing.spans()).toEqual([]);
    expect(before).toBeUndefined();
    const text = await (await request(`${app.url}/metrics`)).text();
    expect(text).not.toContain('route="/health"');
  });

  it('redacts sensitive query values and never records credential headers', async () => {
    await request(`${app.url}/models?token=abc123&page=2&X-Amz-Signature=deadbeef&password=hunter2`, {
      headers: { authorization: 'Bearer secret-token', cookie: 'session=s3cr3t', 'x-request-id': 'r-9' },
    });
    const [span] = await testing.waitForSpans(1);
    expect(span!.attributes['url.query']).toBe(
      'token=REDACTED&page=2&X-Amz-Signature=REDACTED&password=REDACTED',
    );
    expect(span!.attributes['http.request.header.x-request-id']).toEqual(['r-9']);
    const serialized = JSON.stringify(span!.attributes);
    for (const secret of ['abc123', 'deadbeef', 'hunter2', 'secret-token', 's3cr3t']) {
      expect(serialized).not.toContain(secret);
    }
  });

  it('tracks slow requests: a span event, a counter and one log line with the trace id', async () => {
    await request(`${app.url}/slow`);
    const [span] = await testing.waitForSpans(1);
    const event = span!.events.find((e) => e.name === 'slow_request');
    expect(event?.attributes?.threshold_ms).toBe(50);
    expect(Number(event?.attributes?.duration_ms)).toBeGreaterThanOrEqual(50);
    expect(slowLines).toHaveLength(1);
    expect(slowLines[0]).toMatchObject({
      msg: 'slow request',
      method: 'GET',
      route: '/slow',
      status_code: 200,
      trace_id: span!.spanContext().traceId,
    });
    const text = await registry.registry.metrics();
    expect(sampleValue(text, 'http_server_slow_requests_total', { route: '/slow' })).toBeGreaterThanOrEqual(
      1,
    );
  });

  describe('tenant context', () => {
    it('puts valid x-tenant-id / x-user-id on the span and carries them downstream as baggage', async () => {
      const response = await request(`${app.url}/downstream?id=m5`, {
        headers: { 'x-tenant-id': 'acme-corp', 'x-user-id': 'user@acme.io' },
      });
      expect(await response.json()).toEqual({ id: 'm5' });
      const spans = await testing.waitForSpans(3);
      const upstream = spans.find((span) => span.name === 'GET /downstream')!;
      const client = spans.find((span) => span.kind === SpanKind.CLIENT)!;
      const downstream = spans.find((span) => span.name === 'GET /models/:id')!;
      expect(upstream.attributes).toMatchObject({ 'tenant.id': 'acme-corp', 'user.id': 'user@acme.io' });
      expect(client.parentSpanContext?.spanId).toBe(upstream.spanContext().spanId);
      expect(downstream.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
      expect(downstream.spanContext().traceId).toBe(upstream.spanContext().traceId);
      expect(downstream.attributes).toMatchObject({ 'tenant.id': 'acme-corp', 'user.id': 'user@acme.io' });
    });

    it.each([
      ['path traversal', '../../etc/passwd', 'invalid_characters'],
      ['too long', 'a'.repeat(129), 'too_long'],
      ['a header sent twice (Node joins them)', ['acme', 'evil'], 'invalid_characters'],
      ['markup', '<script>alert(1)</script>', 'invalid_characters'],
    ])(
      'drops and counts an invalid tenant (%s) without rejecting the request',
      async (_label, value, reason) => {
        const metricsBefore = await registry.registry.metrics();
        const before =
          sampleValue(metricsBefore, 'http_server_tenant_values_rejected_total', { reason }) ?? 0;
        const headers = new Headers();
        for (const v of Array.isArray(value) ? value : [value]) headers.append('x-tenant-id', v);
        const response = await request(`${app.url}/models/m1`, { headers });
        expect(response.status).toBe(200);
        const [span] = await testing.waitForSpans(1);
        expect(span!.attributes['tenant.id']).toBeUndefined();
        const text = await registry.registry.metrics();
        expect(
          sampleValue(text, 'http_server_tenant_values_rejected_total', { header: 'tenant.id', reason }),
        ).toBe(before + 1);
        const raw = Array.isArray(value) ? value.join(', ') : value;
        expect(JSON.stringify(span!.attributes)).not.toContain(raw);
        expect(text).not.toContain(raw);
      },
    );

    it('rejects latin-1 bytes Node passes through as they are', async () => {
      const socket = connect(Number(new URL(app.url).port), '127.0.0.1');
      const head = Buffer.concat([
        Buffer.from('GET /models/m1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nx-tenant-id: caf'),
        Buffer.from([0xe9]),
        Buffer.from('\r\n\r\n'),
      ]);
      socket.write(head);
      const reply = await new Promise<string>((resolve) => {
        let data = '';
        socket.on('data', (chunk) => {
          data += chunk.toString('latin1');
        });
        socket.on('end', () => resolve(data));
      });
      expect(reply.startsWith('HTTP/1.1 200')).toBe(true);
      const [span] = await testing.waitForSpans(1);
      expect(span!.attributes['tenant.id']).toBeUndefined();
    });
  });

  it('runs handlers inside the server span so their own spans nest under it', async () => {
    const local = express();
    const tracing = expressTracing({ tracing: testing.tracing, metrics: false });
    local.use(tracing);
    local.get('/nested', async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const inner = testing.tracer.startSpan('inner', undefined, context.active());
      inner.end();
      res.send(String(trace.getActiveSpan()?.spanContext().spanId));
    });
    const server = await listen(local);
    try {
      const activeId = await (await request(`${server.url}/nested`)).text();
      await testing.waitForSpans(2);
      const serverSpan = testing.span('GET /nested');
      expect(activeId).toBe(serverSpan.spanContext().spanId);
      expect(testing.span('inner').parentSpanContext?.spanId).toBe(serverSpan.spanContext().spanId);
    } finally {
      await server.close();
    }
  });

  it('emits the seed’s older attribute names too under OTEL_SEMCONV_STABILITY_OPT_IN=http/dup', async () => {
    process.env.OTEL_SEMCONV_STABILITY_OPT_IN = 'http/dup';
    const server = await listen(buildApp({ metrics: false }));
    delete process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
    try {
      await request(`${server.url}/models/m1?token=t0ps3cret&page=1`);
      const [span] = await testing.waitForSpans(1);
      const port = new URL(server.url).port;
      expect(span!.attributes).toMatchObject({
        'http.method': 'GET',
        'http.url': `http://127.0.0.1:${port}/models/m1?token=REDACTED&page=1`,
        'http.target': '/models/m1?token=REDACTED&page=1',
        'http.status_code': 200,
        'http.client_ip': '127.0.0.1',
        'http.request.method': 'GET',
      });
    } finally {
      await server.close();
    }
  });

  it('can leave traceresponse off', async () => {
    const server = await listen(buildApp({ traceResponseHeader: false, metrics: false }));
    try {
      const response = await request(`${server.url}/models/m1`);
      expect(response.headers.get('traceresponse')).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('never breaks the request when a user hook throws', async () => {
    const server = await listen(
      buildApp({
        metrics: false,
        requestHook: () => {
          throw new Error('hook bug');
        },
      }),
    );
    try {
      expect((await request(`${server.url}/models/m1`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('tracing.install(app)', () => {
  it('runs before every router layer, serves /metrics, and makes one span even with app.use too', async () => {
    const application = express5();
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const tracing = expressTracing({ tracing: testing.tracing, metrics: { registry } });
    let activeInFirstLayer: string | undefined;
    // Registered before anything else: with install() the request is already inside its span here.
    application.use((_req, _res, next) => {
      activeInFirstLayer = trace.getActiveSpan()?.spanContext().spanId;
      next();
    });
    tracing.install(application);
    application.use(tracing); // both: still one span and one count per request
    application.get('/models/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    const server = await listen(application);
    try {
      expect((await request(`${server.url}/models/m1`)).status).toBe(200);
      const [span] = await testing.waitForSpans(1);
      expect(testing.spans()).toHaveLength(1);
      expect(span!.name).toBe('GET /models/:id');
      expect(activeInFirstLayer).toBe(span!.spanContext().spanId);
      const scrape = await request(`${server.url}/metrics`);
      expect(scrape.status).toBe(200);
      expect(
        sampleValue(await scrape.text(), 'http_server_requests_total', {
          method: 'GET',
          route: '/models/:id',
          status_code: '200',
        }),
      ).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('refuses something that is not an Express application', () => {
    const tracing = expressTracing({ tracing: testing.tracing, metrics: false });
    expect(() => tracing.install((() => {}) as never)).toThrow(TypeError);
  });
});

describe('options are validated once, at startup', () => {
  it.each([
    [{ metricsPath: 'metrics' }, 'metricsPath must start with "/", got "metrics"'],
    [{ slowRequestThresholdMs: -1 }, 'slowRequestThresholdMs must be a positive number, got -1'],
    [{ maxRoutes: 0 }, 'maxRoutes must be a positive number, got 0'],
    [{ tenant: { maxLength: 0 } }, 'tenant.maxLength must be a positive integer, got 0'],
  ] as Array<[ExpressTracingOptions, string]>)('%j', (options, message) => {
    expect(() => expressTracing({ tracing: testing.tracing, metrics: false, ...options })).toThrow(
      new TypeError(message),
    );
  });
});
