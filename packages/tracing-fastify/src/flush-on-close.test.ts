import { configureTracing } from '@maestro/tracing-core';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { fastifyTracing } from './index.ts';

// The real batch processor, as in production: spans wait in its queue until app.close() flushes.
const quiet = { http: false, undici: false, pg: false, ioredis: false };

describe('flush on close', () => {
  it('exports pending spans when the app closes', async () => {
    const memory = new InMemorySpanExporter();
    const tracing = configureTracing({
      env: {},
      spanExporter: memory,
      batch: { scheduledDelayMillis: 60_000 },
      registerGlobal: false,
      instrumentations: quiet,
    });
    const app = fastify();
    await app.register(fastifyTracing, { tracing, metrics: false });
    app.get('/models/:id', async () => 'ok');
    await app.inject({ method: 'GET', url: '/models/1' });
    expect(memory.getFinishedSpans()).toHaveLength(0);
    await app.close();
    expect(memory.getFinishedSpans().map((span) => span.name)).toEqual(['GET /models/:id']);
    await tracing.shutdown();
  });

  it('does not hang app.close() when the collector never answers', async () => {
    const tracing = configureTracing({
      env: {},
      spanExporter: { export: () => {}, shutdown: async () => {} },
      batch: { scheduledDelayMillis: 60_000 },
      registerGlobal: false,
      instrumentations: quiet,
    });
    const app = fastify();
    await app.register(fastifyTracing, { tracing, metrics: false, flushTimeoutMillis: 100 });
    app.get('/', async () => 'ok');
    await app.inject({ method: 'GET', url: '/' });
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await tracing.shutdown(10);
  });
});
