import 'reflect-metadata';
import { fetchUntraced, promtoolCheck, sampleValue } from '@maestro/test-support';
import { createMetricsRegistry, type MetricsRegistry } from '@maestro/tracing-core';
import { createTestTracing } from '@maestro/tracing-core/testing';
import { type INestApplication, VersioningType } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TracingModule } from './index.ts';
import { ModelsController, ModelsService, TokenGuard } from './test-app.ts';

const testing = createTestTracing();
afterEach(() => testing.reset());
afterAll(() => testing.shutdown());

const request = fetchUntraced;

const platforms = [
  ['platform-express', () => new ExpressAdapter()],
  ['platform-fastify', () => new FastifyAdapter()],
] as const;

describe.each(platforms)('NestJS 11 on %s', (_platform, makeAdapter) => {
  let app: INestApplication;
  let url: string;
  let registry: MetricsRegistry;

  beforeAll(async () => {
    registry = createMetricsRegistry();
    const moduleRef = await Test.createTestingModule({
      imports: [TracingModule.forRoot({ tracing: testing.tracing, metrics: { registry } })],
      controllers: [ModelsController],
      providers: [ModelsService, { provide: APP_GUARD, useClass: TokenGuard }],
    }).compile();
    app = moduleRef.createNestApplication(makeAdapter(), { logger: false });
    app.setGlobalPrefix('api');
    app.enableVersioning({ type: VersioningType.URI });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  });
  afterAll(() => app.close());

  const authorized = { 'x-api-token': 'let-me-in' };
  const get = (path: string, headers: Record<string, string> = {}) =>
    request(`${url}${path}`, { headers: { ...authorized, ...headers } });

  it('makes one SERVER span named after the route, with prefix and version, and nests the handler and @Traced spans', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await get('/api/v1/models/m42', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(await response.json()).toEqual({ id: 'm42', framework: 'pytorch' });
    const spans = await testing.waitForSpans(3);
    const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
    const handler = testing.span('ModelsController.findOne');
    const service = testing.span('ModelsService.find');
    expect(spans.filter((span) => span.kind === SpanKind.SERVER)).toHaveLength(1);
    expect(server.name).toBe('GET /api/v1/models/:id');
    expect(server.attributes).toMatchObject({
      'http.route': '/api/v1/models/:id',
      'http.response.status_code': 200,
    });
    expect(server.spanContext().traceId).toBe(traceId);
    expect(server.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(handler.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(handler.attributes['model.id']).toBe('m42');
    expect(service.parentSpanContext?.spanId).toBe(handler.spanContext().spanId);
    // Guards and pipes run inside the server span, before the handler span starts.
    const startNs = (t: [number, number]) => t[0] * 1e9 + t[1];
    expect(startNs(handler.startTime)).toBeGreaterThanOrEqual(startNs(server.startTime));
    expect(startNs(handler.endTime)).toBeLessThanOrEqual(startNs(server.endTime));
  });

  it('runs a POST handler inside its span after the body was parsed', async () => {
    const response = await request(`${url}/api/v1/models/train`, {
      method: 'POST',
      headers: { ...authorized, 'content-type': 'application/json' },
      body: JSON.stringify({ epochs: 3 }),
    });
    expect(await response.json()).toEqual({ model_id: 'model-1' });
    await testing.waitForSpans(3);
    expect(testing.span('train_model').parentSpanContext?.spanId).toBe(
      testing.span('ModelsController.train').spanContext().spanId,
    );
    expect(testing.span('POST /api/v1/models/train').attributes['http.response.status_code']).toBe(201);
  });

  it('ends Observable-returning handlers and @Traced() Observables when they complete', async () => {
    expect(await (await get('/api/v1/models/observable')).json()).toEqual({ ok: true });
    expect(await (await get('/api/v1/models/stream')).json()).toEqual(['m1', 'm2', 'm3']);
    await testing.waitForSpans(5);
    expect(testing.span('ModelsController.observable').ended).toBe(true);
    expect(testing.span('models.stream').parentSpanContext?.spanId).toBe(
      testing.span('ModelsController.list').spanContext().spanId,
    );
  });

  it('maps a 4xx HttpException to its status without marking the span ERROR, and exception filters still run', async () => {
    const response = await get('/api/v1/models/filtered/missing');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ problem: 'model missing not found', status: 404 });
    const spans = await testing.waitForSpans(3);
    const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
    expect(server.name).toBe('GET /api/v1/models/filtered/:id');
    expect(server.attributes['http.response.status_code']).toBe(404);
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(server.events.filter((event) => event.name === 'exception')).toEqual([]);
    expect(testing.span('ModelsController.filtered').status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks an unknown error as a 500 ERROR with the exception recorded', async () => {
    expect((await get('/api/v1/models/boom')).status).toBe(500);
    const spans = await testing.waitForSpans(3);
    const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expect(server.attributes['error.type']).toBe('Error');
    expect(server.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe(
      'registry unreachable',
    );
    expect(testing.span('ModelsController.boom').status.code).toBe(SpanStatusCode.ERROR);
    expect(testing.span('ModelsService.explode').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('keeps a @Traced() handler’s route and guard metadata: the roles guard still reads its roles', async () => {
    expect((await get('/api/v1/models/admin/report')).status).toBe(403);
    const denied = (await testing.waitForSpans(1))[0]!;
    expect(denied.name).toBe('GET /api/v1/models/admin/report');
    expect(denied.attributes['http.response.status_code']).toBe(403);
    testing.reset();
    const allowed = await get('/api/v1/models/admin/report', { 'x-role': 'admin' });
    expect(await allowed.json()).toEqual({ report: 'ok' });
    await testing.waitForSpans(2);
    expect(testing.span('ModelsController.report').ended).toBe(true);
  });

  it('names requests no route matched by their method only', async () => {
    expect((await get('/api/v1/nothing/here')).status).toBe(404);
    const [span] = await testing.waitForSpans(1);
    expect(span!.name).toBe('GET');
    expect(span!.attributes['http.route']).toBeUndefined();
  });

  it('serves /metrics ahead of the global auth guard, promtool-clean, counting the requests sent', async () => {
    const before = await (await request(`${url}/metrics`)).text();
    const already =
      sampleValue(before, 'http_server_requests_total', {
        route: '/api/v1/models/:id',
        status_code: '200',
      }) ?? 0;
    for (const id of ['a', 'b', 'c']) await get(`/api/v1/models/${id}`);
    expect((await request(`${url}/api/v1/models/a`)).status).toBe(403);
    const response = await request(`${url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(
      sampleValue(text, 'http_server_requests_total', { route: '/api/v1/models/:id', status_code: '200' }),
    ).toBe(already + 3);
    expect(
      sampleValue(text, 'http_server_requests_total', { route: '/api/v1/models/:id', status_code: '403' }),
    ).toBe(1);
    const check = promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
  });
});
