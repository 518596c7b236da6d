import { createRequire } from 'node:module';
import { fetchUntraced, sampleValue } from '@maestro/test-support';
import { createMetricsRegistry } from '@maestro/tracing-core';
import { createTestTracing } from '@maestro/tracing-core/testing';
import { SpanKind } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { fastifyTracing } from './index.ts';

// An app that also runs the OpenTelemetry HTTP instrumentation (e.g. through NodeSDK's
// auto-instrumentations): its SERVER span is enriched, never doubled.
const testing = createTestTracing();
const disable = registerInstrumentations({
  instrumentations: [new HttpInstrumentation()],
  tracerProvider: testing.tracerProvider,
});
createRequire(import.meta.url)('node:http');
afterAll(async () => {
  disable();
  await testing.shutdown();
});

describe('next to @opentelemetry/instrumentation-http', () => {
  it('makes exactly one SERVER span per request, named after the route, counted once', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const app = fastify();
    await app.register(fastifyTracing, { tracing: testing.tracing, metrics: { registry } });
    app.get('/models/:id', async (req) => {
      req.span.setAttribute('model.type', 'pytorch');
      return { ok: true };
    });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const response = await fetchUntraced(`${address}/models/m1`);
      expect(response.status).toBe(200);
      await testing.waitForSpans(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const servers = testing.spans().filter((span) => span.kind === SpanKind.SERVER);
      expect(servers).toHaveLength(1);
      expect(servers[0]!.name).toBe('GET /models/:id');
      expect(servers[0]!.instrumentationScope.name).toBe('@opentelemetry/instrumentation-http');
      expect(servers[0]!.attributes).toMatchObject({
        'http.route': '/models/:id',
        'http.response.status_code': 200,
        'model.type': 'pytorch',
      });
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(sampleValue(text, 'http_server_requests_total', { route: '/models/:id' })).toBe(1);
    } finally {
      await app.close();
    }
  });
});
