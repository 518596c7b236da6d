// Cost per call of traceSpan and @Traced against a plain call, in nanoseconds, side by side.
// Modes: disabled (TRACING_ENABLED=false), non-recording (sampler always_off) and recording
// (always_on, spans exported through the batch processor to a discarding exporter).
// Rounds interleave the modes so a noisy neighbour hits them all alike; the table shows medians.
import { configureTracing, getTracing, Traced, traceSpan } from '../dist/index.mjs';

const smoke = process.env.BENCH_SMOKE === '1';
const ROUNDS = smoke ? 1 : 7;
const CALLS = smoke ? 2_000 : 300_000;

class Service {
  work(n) {
    return n + 1;
  }
}
class TracedService {
  work(n) {
    return n + 1;
  }
}
const tracedDescriptor = Object.getOwnPropertyDescriptor(TracedService.prototype, 'work');
Object.defineProperty(
  TracedService.prototype,
  'work',
  Traced()(TracedService.prototype, 'work', tracedDescriptor),
);

const plainService = new Service();
const tracedService = new TracedService();
let sink = 0;
const cases = {
  'plain call': () => {
    for (let i = 0; i < CALLS; i++) sink += plainService.work(i);
  },
  traceSpan: () => {
    for (let i = 0; i < CALLS; i++) sink += traceSpan('work', () => plainService.work(i));
  },
  '@Traced': () => {
    for (let i = 0; i < CALLS; i++) sink += tracedService.work(i);
  },
};

const modes = {
  disabled: { enabled: false },
  'non-recording': { sampler: 'always_off' },
  recording: {
    sampler: 'always_on',
    batch: { maxQueueSize: 1_000_000, maxExportBatchSize: 4096, scheduledDelayMillis: 50 },
  },
};

const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [mode, options] of Object.entries(modes)) {
    await getTracing()?.shutdown();
    configureTracing({
      ...options,
      exporter: 'none',
      registerGlobal: false,
      env: {},
      instrumentations: { http: false, undici: false, pg: false, ioredis: false },
    });
    for (const [name, run] of Object.entries(cases)) {
      run(); // warm-up
      const start = process.hrtime.bigint();
      run();
      const ns = Number(process.hrtime.bigint() - start) / CALLS;
      results[mode] ??= {};
      results[mode][name] ??= [];
      results[mode][name].push(ns);
    }
    await getTracing()?.forceFlush();
  }
}
await getTracing()?.shutdown();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows = [];
for (const [mode, byCase] of Object.entries(results)) {
  const plain = median(byCase['plain call']);
  for (const [name, values] of Object.entries(byCase)) {
    rows.push({
      mode,
      call: name,
      'ns/call': median(values).toFixed(1),
      'added ns': (median(values) - plain).toFixed(1),
      'x plain': (median(values) / plain).toFixed(1),
    });
  }
}
console.log(
  `span helpers: ${ROUNDS} interleaved rounds x ${CALLS} calls, Node ${process.version}${smoke ? ' (smoke run)' : ''}`,
);
console.table(rows);
if (sink === 42) console.log('');
