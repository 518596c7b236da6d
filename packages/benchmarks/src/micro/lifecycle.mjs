// The core lifecycle's per-request work (start + finish on real IncomingMessage/ServerResponse
// objects, no network), against building the same objects alone, in nanoseconds.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { configureTracing, createMetricsRegistry, getTracing, HttpLifecycle } from '@maestro/tracing-core';
import { median } from '../processes.mjs';

const socket = new Socket();
const headers = {
  host: '127.0.0.1:3000',
  'user-agent': 'autocannon/8.0.0',
  accept: 'application/json',
  'x-tenant-id': 'acme',
};

function request() {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = '/models/m42';
  req.headers = headers;
  req.httpVersion = '1.1';
  return req;
}

const variants = {
  'no lifecycle': undefined,
  'tracing off, metrics on': { tracing: { enabled: false }, metrics: true },
  'tracing 10 %, metrics on': {
    tracing: { sampler: 'parentbased_traceidratio', samplerRatio: 0.1 },
    metrics: true,
  },
  'tracing 100 %, metrics on': { tracing: { sampler: 'always_on' }, metrics: true },
  'tracing 100 %, metrics off': { tracing: { sampler: 'always_on' }, metrics: false },
};

export async function runLifecycleBench({ rounds, iterations }) {
  const results = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, options] of Object.entries(variants)) {
      let lifecycle;
      if (options !== undefined) {
        await getTracing()?.shutdown();
        const tracing = configureTracing({
          ...options.tracing,
          exporter: 'none',
          registerGlobal: false,
          logLevel: 'error',
          env: {},
          batch: { maxQueueSize: 1 << 20, maxExportBatchSize: 8192, scheduledDelayMillis: 20 },
          instrumentations: { http: false, undici: false, pg: false, ioredis: false },
        });
        lifecycle = new HttpLifecycle({
          tracing,
          metrics: options.metrics ? { registry: createMetricsRegistry({ defaultMetrics: false }) } : false,
        });
      }
      const run = () => {
        for (let i = 0; i < iterations; i++) {
          // Every request starts a new trace, so the 10 % variant mixes sampled and unsampled ones.
          const req = request();
          const res = new ServerResponse(req);
          if (lifecycle !== undefined) {
            const state = lifecycle.start(req, res, req.url);
            state.route = '/models/:id';
            lifecycle.finish(res);
          }
        }
      };
      run();
      const started = process.hrtime.bigint();
      run();
      const ns = Number(process.hrtime.bigint() - started) / iterations;
      results[name] ??= [];
      results[name].push(ns);
      await getTracing()?.forceFlush();
    }
  }
  await getTracing()?.shutdown();
  const baseline = median(results['no lifecycle']);
  return Object.entries(results).map(([name, values]) => ({
    variant: name,
    nsPerRequest: median(values),
    addedNs: median(values) - baseline,
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await runLifecycleBench({ rounds: 5, iterations: 50_000 }));
}
