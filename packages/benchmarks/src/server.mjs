// One benchmark server: FRAMEWORK (express | fastify | nest) x VARIANT (bare | bare-control |
// disabled | context-only | ours-10 | ours-100 | otel-100 | burn-20; bare-control is bare), serving
// GET /models/:id as JSON on 127.0.0.1. It prints {"port"} once listening, and answers a "stats"
// line on stdin with its CPU time, RSS and export counters.
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import v8 from 'node:v8';

const framework = process.env.FRAMEWORK ?? 'express';
const variant = process.env.VARIANT ?? 'bare';
const ours = variant === 'disabled' || variant.startsWith('ours-');
// Loads and configures ours, but installs no adapter: what the loaded code alone costs.
const adapter = ours && process.env.BENCH_ADAPTER !== '0';

// Knobs for profiling experiments only; the suite never sets them. BENCH_METRICS_PATH=0 drops the
// /metrics route and keeps the RED metrics; BENCH_DEFAULT_METRICS=0 keeps both, in a registry
// without prom-client's process metrics; BENCH_PREHANDLER=1 adds a no-op preHandler hook to any
// Fastify variant, to price what Fastify's hook runner charges for our context-restoring one;
// BENCH_IMPORT='module …' imports modules at startup and does nothing else with them.
const experiment = process.env.BENCH_METRICS === '0' ? { metrics: false } : {};
if (process.env.BENCH_TRACERESPONSE === '0') experiment.traceResponseHeader = false;
if (process.env.BENCH_TENANT === '0') experiment.tenant = false;
if (process.env.BENCH_HANDLER_SPANS === '0') experiment.handlerSpans = false;
if (process.env.BENCH_METRICS_PATH === '0') experiment.metricsPath = false;
if (process.env.BENCH_DEFAULT_METRICS === '0') {
  const { createMetricsRegistry } = await import('@maestro/tracing-core');
  experiment.metrics = { registry: createMetricsRegistry({ defaultMetrics: false }) };
}
// burn-20: bare plus 20 µs of pure compute per request (BENCH_BURN=N for another N), timed at
// startup on the server's own core. The calibration: what a CPU budget in µs reads as a CPU ratio on
// this machine, in the same run as the rest.
const burnMicros = Number(process.env.BENCH_BURN ?? (variant === 'burn-20' ? 20 : 0));
const spin = (iterations) => {
  let x = 1;
  for (let i = 0; i < iterations; i++) x = (x * 1103515245 + 12345) | 0;
  return x;
};
let spinsPerMicro = 0;
const burn = (_request, _response, next) => {
  // Kept where the compiler cannot prove it unused, so the loop is not optimised away.
  globalThis.__benchSpin = spin(burnMicros * spinsPerMicro);
  next();
};
if (burnMicros > 0) {
  const started = performance.now();
  spin(5e7);
  spinsPerMicro = 5e7 / ((performance.now() - started) * 1000);
}

const model = (id) => ({ id, name: 'resnet-50', framework: 'pytorch', version: 3, tags: ['vision', 'prod'] });

// context-only: the bare app plus what any tracer that propagates context pays, and nothing else —
// OpenTelemetry's AsyncLocalStorage context manager, one context entered per request, where our
// adapter enters it: on Express (and NestJS on it) in front of the router, as install(app) does,
// since an app.use layer would add a router layer's cost that ours does not pay.
let enterContext;
if (variant === 'context-only') {
  const { context, createContextKey, ROOT_CONTEXT } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const key = createContextKey('request');
  enterContext = (request, next) => context.with(ROOT_CONTEXT.setValue(key, request), next);
}

for (const name of (process.env.BENCH_IMPORT ?? '').split(' ').filter(Boolean)) await import(name);

let tracing;
if (ours) {
  const { configureTracing } = await import('@maestro/tracing-core');
  tracing = configureTracing({
    serviceName: `bench-${framework}`,
    enabled: variant !== 'disabled',
    sampler: process.env.BENCH_SAMPLER ?? 'parentbased_traceidratio',
    samplerRatio: Number(process.env.BENCH_RATIO ?? (variant === 'ours-10' ? 0.1 : 1)),
    logLevel: 'error',
    ...(process.env.BENCH_INSTRUMENTATIONS === '0'
      ? { instrumentations: { http: false, undici: false, pg: false, ioredis: false } }
      : {}),
  });
}

/** Runs each request of an Express app in its own context from before its router on. */
function enterContextBeforeRouter(app) {
  const handle = app.handle;
  app.handle = function contextHandle(request, response, callback) {
    return enterContext(request, () => handle.call(this, request, response, callback));
  };
}

async function express() {
  const { default: expressApp } = await import('express');
  const app = expressApp();
  let tracingMiddleware;
  if (adapter) {
    const { expressTracing } = await import('@maestro/tracing-express');
    tracingMiddleware = expressTracing({ tracing, ...experiment });
    tracingMiddleware.install(app);
  }
  if (enterContext) enterContextBeforeRouter(app);
  if (burnMicros > 0) app.use(burn);
  app.get('/models/:id', (req, res) => {
    res.json(model(req.params.id));
  });
  if (tracingMiddleware) app.use(tracingMiddleware.errorHandler);
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

async function fastify() {
  const { default: fastifyApp } = await import('fastify');
  const app = fastifyApp();
  if (adapter) {
    const { fastifyTracing } = await import('@maestro/tracing-fastify');
    await app.register(fastifyTracing, { tracing, ...experiment });
  }
  if (enterContext) app.addHook('onRequest', (request, _reply, next) => enterContext(request, next));
  if (burnMicros > 0) app.addHook('onRequest', burn);
  if (process.env.BENCH_PREHANDLER === '1') app.addHook('preHandler', (_request, _reply, next) => next());
  app.get('/models/:id', async (request) => model(request.params.id));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server.address().port;
}

async function nest() {
  const { Controller, Get, Module, Param } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  // Decorators applied by hand: this file runs as plain JavaScript.
  class ModelsController {
    findOne(id) {
      return model(id);
    }
  }
  Reflect.defineMetadata('design:paramtypes', [String], ModelsController.prototype, 'findOne');
  Param('id')(ModelsController.prototype, 'findOne', 0);
  const descriptor = Object.getOwnPropertyDescriptor(ModelsController.prototype, 'findOne');
  Get(':id')(ModelsController.prototype, 'findOne', descriptor);
  Controller('models')(ModelsController);
  const imports = [];
  if (adapter) {
    const { TracingModule } = await import('@maestro/tracing-nest');
    imports.push(TracingModule.forRoot({ tracing, ...experiment }));
  }
  class AppModule {}
  Module({ imports, controllers: [ModelsController] })(AppModule);
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
  if (enterContext) enterContextBeforeRouter(app.getHttpAdapter().getInstance());
  if (burnMicros > 0) app.use(burn);
  await app.listen(0, '127.0.0.1');
  return app.getHttpServer().address().port;
}

const start = { express, fastify, nest }[framework];
if (start === undefined) throw new Error(`FRAMEWORK=${framework}: expected express, fastify or nest`);
const port = await start();
process.stdout.write(`${JSON.stringify({ port })}\n`);

async function exportStats() {
  if (tracing) return tracing.exportStats();
  const reference = globalThis.__benchReferenceStats;
  return reference ? reference() : undefined;
}

// Event-loop delay, to show that export never blocks the loop, even when the collector is down,
// and the collector's pauses beside it, to tell how much of a delay collections can account for.
// Observed only once asked ("memory", the outage run), so the throughput runs' servers carry no
// observer.
const { monitorEventLoopDelay, PerformanceObserver } = await import('node:perf_hooks');
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let collections;

function observeCollections() {
  const window = { longestMs: 0, totalMs: 0, since: performance.now() };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.totalMs += entry.duration;
      if (entry.duration > window.longestMs) window.longestMs = entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  return window;
}

// Bytes the main thread's heap allocated between two "allocations" lines: what each collection
// found in use before it ran, less what the previous one left. Allocation is what this machine's
// memory traffic charges for, and unlike time it does not swing with the other tenants. Beside it,
// the bytes scavenges promoted: what outlived the young generation and was copied into the old one,
// where only a full collection frees it. A scavenge's work is the bytes it copies, not the bytes it
// frees, so a request whose objects are still reachable at a scavenge costs far more than its size.
let allocations;

/** The bytes in use outside the young generation: what a scavenge's promotion grows. */
function usedOutsideYoung({ heapSpaceStatistics }) {
  let bytes = 0;
  for (const { spaceName, spaceUsedSize } of heapSpaceStatistics) {
    if (!spaceName.startsWith('new_')) bytes += spaceUsedSize;
  }
  return bytes;
}

function heapActivitySinceStart() {
  const { statistics } = allocations.profiler.stop();
  let allocatedBytes = 0;
  let promotedBytes = 0;
  let left = allocations.used;
  for (const { gcType, beforeGC, afterGC } of statistics) {
    allocatedBytes += beforeGC.heapStatistics.usedHeapSize - left;
    left = afterGC.heapStatistics.usedHeapSize;
    if (gcType === 'Scavenge') promotedBytes += usedOutsideYoung(afterGC) - usedOutsideYoung(beforeGC);
  }
  allocations = undefined;
  allocatedBytes += v8.getHeapStatistics().used_heap_size - left;
  return { allocatedBytes, promotedBytes };
}

// "allocations FILE" also samples where the bytes are allocated, collected or not, into FILE
// (a .heapprofile that Chrome's DevTools opens).
async function sampleAllocations(file) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    session.disconnect();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, JSON.stringify(profile));
  };
}

createInterface({ input: process.stdin }).on('line', async (line) => {
  const [command, file] = line.trim().split(' ');
  if (command === 'allocations') {
    if (allocations === undefined) {
      const stopSampling = file ? await sampleAllocations(file) : undefined;
      const profiler = new v8.GCProfiler();
      profiler.start();
      allocations = { profiler, stopSampling, used: v8.getHeapStatistics().used_heap_size };
      process.stdout.write(`${JSON.stringify({ started: true })}\n`);
    } else {
      const { stopSampling } = allocations;
      const activity = heapActivitySinceStart();
      await stopSampling?.();
      process.stdout.write(`${JSON.stringify(activity)}\n`);
    }
  }
  if (line.trim() === 'memory') {
    collections ??= observeCollections();
    const now = performance.now();
    const memory = {
      rss: process.memoryUsage().rss,
      loopDelayMaxMs: loopDelay.max / 1e6,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      gcLongestMs: collections.longestMs,
      gcShare: collections.totalMs / (now - collections.since),
    };
    loopDelay.reset();
    collections.longestMs = 0;
    collections.totalMs = 0;
    collections.since = now;
    process.stdout.write(`${JSON.stringify({ ...memory, export: await exportStats() })}\n`);
  }
  if (line.trim() === 'stats') {
    if (tracing) await tracing.forceFlush(5000);
    else await globalThis.__benchReferenceFlush?.();
    const stats = { cpu: process.cpuUsage(), rss: process.memoryUsage().rss, export: await exportStats() };
    process.stdout.write(`${JSON.stringify(stats)}\n`);
  }
});
process.once('SIGINT', () => process.exit(0));
