import { connect } from 'node:net';
import { fetchUntraced, promtoolCheck, sampleValue } from '@maestro/test-support';
import {
  createMetricsRegistry,
  type SlowRequestLog,
  setSpanAttributes,
  traceSpan,
} from '@maestro/tracing-core';
import { createTestTracing } from '@maestro/tracing-core/testing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type FastifyTracingOptions, fastifyTracing } from './index.ts';

const testing = createTestTracing();
afterEach(() => testing.reset());
afterAll(() => testing.shutdown());

const request = fetchUntraced;

type FastifyFactory = typeof fastify5;
const versions: Array<[string, FastifyFactory]> = [
  ['Fastify 5', fastify5],
  ['Fastify 4', fastify4 as unknown as FastifyFactory],
];

describe.each(versions)('%s', (_name, fastify) => {
  const slowLines: SlowRequestLog[] = [];

  async function buildApp(
    options: FastifyTracingOptions = {},
    awaitRegister = true,
  ): Promise<FastifyInstance> {
    const app = fastify();
    const registration = app.register(fastifyTracing, {
      tracing: testing.tracing,
      metrics: { registry: createMetricsRegistry({ defaultMetrics: false }) },
      slowRequestThresholdMs: 50,
      slowRequestLogger: (line) => slowLines.push(line),
      ...options,
    });
    if (awaitRegister) await registration;
    app.get('/health', async () => 'ok');
    app.get<{ Params: { id: string } }>('/models/:id', async (req) => {
      req.span.setAttribute('model.type', 'pytorch');
      req.span.addEvent('checkpoint_saved', { epoch: 50, loss: 0.23 });
      return { id: req.params.id };
    });
    app.post<{ Body: { epochs: number } }>('/models/train', async (req) => {
      // After the body was parsed: the handler still runs inside the server span.
      setSpanAttributes({ 'training.epochs': req.body.epochs });
      await traceSpan('train_model', () => new Promise((resolve) => setTimeout(resolve, 2)));
      return { model_id: 'model-1' };
    });
    app.get('/fail', async () => {
      throw new Error('handler exploded');
    });
    app.get(
      '/guarded',
      { preHandler: async () => Promise.reject(new Error('hook exploded')) },
      async () => 'never',
    );
    app.get('/untraced', { config: { tracing: false } }, async () => 'quiet');
    app.get('/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 80));
      return 'done';
    });
    app.get('/hang', () => new Promise(() => {}));
    app.get('/raw-headers', async (_req, reply) => ({
      // A header set on the raw response would send every reply header through Node's per-header path.
      rawHeadersInHandler: reply.raw.getHeaderNames(),
      replyHeader: reply.getHeader('traceresponse'),
    }));
    app.register(
      async (child) => {
        child.addHook('onRequest', async (req) => {
          req.span.setAttribute('child.plugin', true);
        });
        child.get('/:experimentId/runs', async () => []);
      },
      { prefix: '/experiments' },
    );
    await app.ready();
    return app;
  }

  describe('through inject()', () => {
    let app: FastifyInstance;
    afterEach(async () => {
      await app?.close();
      slowLines.length = 0;
    });

    it('makes one SERVER span per request named after the route template', async () => {
      // The first request of the file compiles the whole path; on a slow machine it can outlast the
      // 50 ms the slow-request tests use, and this test asserts the span's events exactly.
      app = await buildApp({ slowRequestThresholdMs: 10_000 });
      const response = await app.inject({
        method: 'GET',
        url: '/models/m42?token=abc&page=1',
        headers: { 'user-agent': 'inject' },
      });
      expect(response.json()).toEqual({ id: 'm42' });
      const [span] = await testing.waitForSpans(1);
      expect(testing.spans()).toHaveLength(1);
      expect(span!.name).toBe('GET /models/:id');
      expect(span!.kind).toBe(SpanKind.SERVER);
      expect(span!.attributes).toMatchObject({
        'http.request.method': 'GET',
        'http.route': '/models/:id',
        'url.path': '/models/m42',
        'url.query': 'token=REDACTED&page=1',
        'http.response.status_code': 200,
        'user_agent.original': 'inject',
        'model.type': 'pytorch',
      });
      expect(span!.events.map((event) => event.name)).toEqual(['checkpoint_saved']);
      expect(response.headers.traceresponse).toBe(
        `00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`,
      );
    });

    it('sets traceresponse through the reply, leaving the raw response to Fastify', async () => {
      app = await buildApp();
      const response = await app.inject({ method: 'GET', url: '/raw-headers' });
      const { rawHeadersInHandler, replyHeader } = response.json();
      const [span] = await testing.waitForSpans(1);
      const ids = span!.spanContext();
      expect(rawHeadersInHandler).toEqual([]);
      expect(replyHeader).toBe(`00-${ids.traceId}-${ids.spanId}-01`);
      expect(response.headers.traceresponse).toBe(replyHeader);
    });

    it('works when the plugin is registered without await', async () => {
      app = await buildApp({}, false);
      await app.inject({ method: 'GET', url: '/models/m1' });
      expect((await testing.waitForSpans(1))[0]!.name).toBe('GET /models/:id');
    });

    it('continues the trace of an incoming traceparent', async () => {
      app = await buildApp();
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      await app.inject({
        method: 'GET',
        url: '/models/m1',
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
      const [span] = await testing.waitForSpans(1);
      expect(span!.spanContext().traceId).toBe(traceId);
      expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    });

    it('runs a POST handler inside the server span after the body is parsed', async () => {
      app = await buildApp();
      const response = await app.inject({ method: 'POST', url: '/models/train', payload: { epochs: 3 } });
      expect(response.json()).toEqual({ model_id: 'model-1' });
      await testing.waitForSpans(2);
      const server = testing.span('POST /models/train');
      expect(server.attributes['training.epochs']).toBe(3);
      expect(testing.span('train_model').parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    });

    it('traces routes of encapsulated plugins, prefix included, and their hooks see the span', async () => {
      app = await buildApp();
      await app.inject({ method: 'GET', url: '/experiments/e7/runs' });
      const [span] = await testing.waitForSpans(1);
      expect(span!.name).toBe('GET /experiments/:experimentId/runs');
      expect(span!.attributes['child.plugin']).toBe(true);
    });

    it('records an error thrown in a handler: 500, ERROR status, exception event', async () => {
      app = await buildApp();
      expect((await app.inject({ method: 'GET', url: '/fail' })).statusCode).toBe(500);
      const [span] = await testing.waitForSpans(1);
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
      expect(span!.attributes['error.type']).toBe('Error');
      expect(span!.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe(
        'handler exploded',
      );
    });

    it('records an error thrown in a hook', async () => {
      app = await buildApp();
      expect((await app.inject({ method: 'GET', url: '/guarded' })).statusCode).toBe(500);
      const [span] = await testing.waitForSpans(1);
      expect(span!.name).toBe('GET /guarded');
      expect(span!.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe(
        'hook exploded',
      );
    });

    it('names a 404 from the not-found handler by its method only, counted under one label', async () => {
      const registry = createMetricsRegistry({ defaultMetrics: false });
      app = await buildApp({ metrics: { registry } });
      for (const url of ['/.env', '/wp-login.php', '/admin/config.php']) {
        expect((await app.inject({ method: 'GET', url })).statusCode).toBe(404);
      }
      const spans = await testing.waitForSpans(3);
      expect(spans.map((span) => span.name)).toEqual(['GET', 'GET', 'GET']);
      expect(spans.every((span) => span.attributes['http.route'] === undefined)).toBe(true);
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(
        sampleValue(text, 'http_server_requests_total', { route: 'unmatched', status_code: '404' }),
      ).toBe(3);
    });

    it('reads each route from the request, never through the routeOptions Fastify rebuilds per read', async () => {
      app = fastify();
      await app.register(fastifyTracing, { tracing: testing.tracing, metrics: false });
      let requestPrototype: object | undefined;
      app.get('/first', async (req) => {
        requestPrototype = Object.getPrototypeOf(req) as object;
        return 'ok';
      });
      app.get('/models/:id', async () => 'model');
      app.get('/untraced', { config: { tracing: false } }, async () => 'quiet');
      app.register(async (child) => child.get('/:experimentId/runs', async () => []), {
        prefix: '/experiments',
      });
      await app.inject({ method: 'GET', url: '/first' });
      let owner: object | null | undefined = requestPrototype;
      while (owner !== null && owner !== undefined && !Object.hasOwn(owner, 'routeOptions'))
        owner = Object.getPrototypeOf(owner) as object | null | undefined;
      const original = Object.getOwnPropertyDescriptor(owner!, 'routeOptions')!;
      let reads = 0;
      // Fastify's own getter is not configurable: this app's request class shadows it instead.
      Object.defineProperty(requestPrototype!, 'routeOptions', {
        configurable: true,
        get(this: unknown) {
          reads++;
          return original.get!.call(this);
        },
      });
      try {
        for (const url of ['/models/m1', '/experiments/e7/runs', '/nowhere', '/untraced'])
          await app.inject({ method: 'GET', url });
      } finally {
        Reflect.deleteProperty(requestPrototype!, 'routeOptions');
      }
      expect(reads).toBe(0);
      const spans = await testing.waitForSpans(4);
      expect(spans.map((span) => [span.name, span.attributes['http.route']])).toEqual([
        ['GET /first', '/first'],
        ['GET /models/:id', '/models/:id'],
        ['GET /experiments/:experimentId/runs', '/experiments/:experimentId/runs'],
        ['GET', undefined],
      ]);
    });

    it('leaves opted-out routes and excluded endpoints untraced and uncounted', async () => {
      const registry = createMetricsRegistry({ defaultMetrics: false });
      app = await buildApp({ metrics: { registry } });
      expect((await app.inject({ method: 'GET', url: '/untraced' })).body).toBe('quiet');
      expect((await app.inject({ method: 'GET', url: '/health' })).body).toBe('ok');
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(testing.spans()).toEqual([]);
      expect(text).not.toContain('route="/untraced"');
      expect(text).not.toContain('route="/health"');
      expect(text).not.toContain('route="/metrics"');
    });

    it('serves /metrics that promtool accepts, counting exactly the requests sent', async () => {
      const registry = createMetricsRegistry();
      app = await buildApp({ metrics: { registry } });
      for (let i = 0; i < 4; i++) await app.inject({ method: 'GET', url: `/models/m${i}` });
      await app.inject({ method: 'POST', url: '/models/train', payload: { epochs: 1 } });
      await app.inject({ method: 'GET', url: '/fail' });
      const response = await app.inject({ method: 'GET', url: '/metrics' });
      expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = response.body;
      expect(
        sampleValue(text, 'http_server_requests_total', {
          method: 'GET',
          route: '/models/:id',
          status_code: '200',
        }),
      ).toBe(4);
      expect(
        sampleValue(text, 'http_server_requests_total', {
          method: 'POST',
          route: '/models/train',
          status_code: '200',
        }),
      ).toBe(1);
      expect(sampleValue(text, 'http_server_requests_total', { route: '/fail', status_code: '500' })).toBe(1);
      expect(sampleValue(text, 'http_server_request_duration_seconds_count', { route: '/models/:id' })).toBe(
        4,
      );
      const check = promtoolCheck(text);
      expect(check.output).toBe('');
      expect(check.ok).toBe(true);
      const open = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { accept: 'application/openmetrics-text' },
      });
      expect(open.body).toMatch(
        /http_server_request_duration_seconds_bucket\{[^}]*route="\/models\/:id"[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}"\}/,
      );
    });

    it('protects /metrics with a bearer token when asked', async () => {
      app = await buildApp({ metricsBearerToken: 'scrape-me' });
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      const ok = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer scrape-me' },
      });
      expect(ok.statusCode).toBe(200);
    });

    it('tracks slow requests with an event, a counter and one log line', async () => {
      app = await buildApp();
      await app.inject({ method: 'GET', url: '/slow' });
      const [span] = await testing.waitForSpans(1);
      expect(span!.events.map((e) => e.name)).toContain('slow_request');
      expect(slowLines).toEqual([
        expect.objectContaining({ route: '/slow', trace_id: span!.spanContext().traceId }),
      ]);
    });

    it('puts a valid tenant on the span and drops an invalid one without failing the request', async () => {
      app = await buildApp();
      await app.inject({
        method: 'GET',
        url: '/models/m1',
        headers: { 'x-tenant-id': 'acme', 'x-user-id': 'u-1' },
      });
      const bad = await app.inject({
        method: 'GET',
        url: '/models/m2',
        headers: { 'x-tenant-id': 'acme, evil' },
      });
      expect(bad.statusCode).toBe(200);
      const [good, dropped] = await testing.waitForSpans(2);
      expect(good!.attributes).toMatchObject({ 'tenant.id': 'acme', 'user.id': 'u-1' });
      expect(dropped!.attributes['tenant.id']).toBeUndefined();
    });

    it('validates its options at registration', async () => {
      const bad = fastify();
      await expect(
        bad.register(fastifyTracing, { tracing: testing.tracing, metricsPath: 'metrics' }),
      ).rejects.toThrow(new TypeError('metricsPath must start with "/", got "metrics"'));
    });
  });

  describe('through a real listening server', () => {
    it('traces requests over the network and ends an aborted one exactly once', async () => {
      const app = await buildApp();
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const traceId = '0af7651916cd43dd8448eb211c80319c';
        const response = await request(`${address}/models/m7`, {
          headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
        });
        expect(await response.json()).toEqual({ id: 'm7' });
        const [span] = await testing.waitForSpans(1);
        expect(span!.spanContext().traceId).toBe(traceId);
        expect(span!.attributes['client.address']).toBe('127.0.0.1');
        expect(span!.attributes['server.port']).toBe(Number(new URL(address).port));
        testing.reset();

        const socket = connect(Number(new URL(address).port), '127.0.0.1');
        socket.write('GET /hang HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        await new Promise((resolve) => setTimeout(resolve, 50));
        socket.destroy();
        const [aborted] = await testing.waitForSpans(1);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(testing.spans()).toHaveLength(1);
        expect(aborted!.name).toBe('GET /hang');
        expect(aborted!.events.map((e) => e.name)).toContain('http.request.aborted');
      } finally {
        await app.close();
      }
    });

    it('tracing disabled: serves and counts requests, bodies included, with no span and no traceresponse', async () => {
      const disabled = createTestTracing({ enabled: false });
      const app = await buildApp({ tracing: disabled.tracing });
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const read = await request(`${address}/models/m3`);
        expect(await read.json()).toEqual({ id: 'm3' });
        expect(read.headers.get('traceresponse')).toBeNull();
        const train = await request(`${address}/models/train`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ epochs: 2 }),
        });
        expect(await train.json()).toEqual({ model_id: 'model-1' });
        const text = await (await request(`${address}/metrics`)).text();
        for (const route of ['/models/:id', '/models/train']) {
          expect(sampleValue(text, 'http_server_requests_total', { route, status_code: '200' })).toBe(1);
        }
        expect(disabled.spans()).toEqual([]);
        expect(testing.spans()).toEqual([]);
      } finally {
        await app.close();
        await disabled.shutdown();
      }
    });
  });
});
