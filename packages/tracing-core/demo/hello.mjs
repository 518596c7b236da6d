// The seed's "POST /models/train" trace, for real: a fetch to a plain node:http service whose
// request lifecycle continues the caller's trace, traceSpan steps, a PostgreSQL query and a Redis
// command as child spans — one trace, printed as a tree.
// Set OTEL_EXPORTER_OTLP_ENDPOINT to also send it to a Jaeger or collector you run.

import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { context, SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  addSpanEvent,
  configureTracing,
  HttpLifecycle,
  setSpanAttributes,
  traceSpan,
} from '../dist/index.mjs';

const memory = new InMemorySpanExporter();
const tracing = configureTracing({
  serviceName: 'maestro-demo',
  spanExporter: memory,
  batch: { scheduledDelayMillis: 10 },
  logLevel: 'warn',
});
const require = createRequire(import.meta.url);
const pg = require('pg');
const Redis = require('ioredis');

const db = new pg.Client({ host: '127.0.0.1', database: 'test', user: 'postgres' });
const cache = new Redis({ host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
const stores = await Promise.allSettled([db.connect(), cache.connect()]);

async function trainModel(config) {
  await traceSpan('validate_config', () => setSpanAttributes({ 'training.epochs': config.epochs }));
  await traceSpan('load_training_data', { 'dataset.name': config.dataset }, async () => {
    if (stores[0].status === 'fulfilled') await db.query('SELECT count(*) FROM pg_catalog.pg_tables');
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
  await traceSpan('train_model', async () => {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      await traceSpan(`epoch_${epoch}`, () => new Promise((resolve) => setTimeout(resolve, 5)));
    }
    addSpanEvent('checkpoint_saved', { epoch: config.epochs, loss: 0.23 });
  });
  await traceSpan('save_model', async () => {
    if (stores[1].status === 'fulfilled') await cache.set('demo:model:latest', 'model-1', 'EX', 60);
  });
  return { model_id: 'model-1' };
}

// What the Express, Fastify and NestJS adapters do for each request, by hand: the SERVER span
// continues the traceparent fetch sent, and the handler runs in its context.
const lifecycle = new HttpLifecycle({ tracing, metrics: false });
const server = createServer((req, res) => {
  const state = lifecycle.start(req, res);
  // A router would know the template; this server has one route.
  state.route = '/models/train';
  context.with(state.context, async () => {
    const result = await trainModel({ dataset: 'iris', epochs: 3 });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(result));
  });
});
server.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const response = await fetch(`http://127.0.0.1:${server.address().port}/models/train`, { method: 'POST' });
console.log('response:', await response.text());
// The SERVER span ends on the response's 'close', which may come after the body arrived.
await new Promise((resolve) => server.close(resolve));

await tracing.forceFlush();
const spans = memory.getFinishedSpans();
const children = new Map();
for (const span of spans) {
  const parent = span.parentSpanContext?.spanId ?? 'root';
  children.set(parent, [...(children.get(parent) ?? []), span]);
}
const ms = (span) => (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(1);
function print(span, indent) {
  const kind = span.kind === SpanKind.CLIENT ? ' [client]' : span.kind === SpanKind.SERVER ? ' [server]' : '';
  console.log(`${indent}${span.name}${kind} (${ms(span)} ms)`);
  for (const child of (children.get(span.spanContext().spanId) ?? []).sort(
    (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
  )) {
    print(child, `${indent}  `);
  }
}
for (const root of spans.filter((span) => !span.parentSpanContext)) {
  const traceId = root.spanContext().traceId;
  const inTrace = spans.filter((span) => span.spanContext().traceId === traceId).length;
  console.log(`\ntrace ${traceId} — ${inTrace} spans`);
  print(root, '');
}
if (stores.some((s) => s.status === 'rejected'))
  console.log('\n(PostgreSQL or Redis was not reachable; their spans are missing)');

await Promise.allSettled([db.end(), cache.quit()]);
await tracing.shutdown();
