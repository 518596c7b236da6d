// Cost per call of traceSpan and @Traced against a plain call, in nanoseconds, side by side.
// Modes: disabled (TRACING_ENABLED=false), non-recording (sampler always_off), recording (always_on,
// spans exported through the batch processor to a discarding exporter), and recording in a request:
// each call a child of a recording span, under the default parent-based sampler, as a call made
// while serving a sampled request is.
// Rounds interleave the modes so a noisy neighbour hits them all alike; medians are reported.
// Calls run in chunks with the batch processor drained between them (untimed), as a live app's
// exporter drains it: otherwise hundreds of thousands of queued spans make every GC slower.
import { configureTracing, getTracing, Traced, traceSpan } from '@maestro/tracing-core';
import { median } from '../processes.mjs';

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
// What TypeScript emits for `@Traced()` on a method with experimentalDecorators.
const descriptor = Object.getOwnPropertyDescriptor(TracedService.prototype, 'work');
Object.defineProperty(TracedService.prototype, 'work', Traced()(TracedService.prototype, 'work', descriptor));

const plainService = new Service();
const tracedService = new TracedService();
let sink = 0;

const modes = {
  disabled: { enabled: false },
  'non-recording': { sampler: 'always_off' },
  recording: {
    sampler: 'always_on',
    batch: { maxQueueSize: 4096, maxExportBatchSize: 4096, scheduledDelayMillis: 60_000 },
  },
  'recording, in a request': {
    sampler: 'parentbased_always_on',
    batch: { maxQueueSize: 4096, maxExportBatchSize: 4096, scheduledDelayMillis: 60_000 },
    inRequest: true,
  },
};

const CHUNK = 2048;

export async function runSpanHelpersBench({ rounds, calls }) {
  const chunks = Math.max(1, Math.round(calls / CHUNK));
  const cases = {
    'plain call': () => {
      for (let i = 0; i < CHUNK; i++) sink += plainService.work(i);
    },
    traceSpan: () => {
      for (let i = 0; i < CHUNK; i++) sink += traceSpan('work', () => plainService.work(i));
    },
    '@Traced': () => {
      for (let i = 0; i < CHUNK; i++) sink += tracedService.work(i);
    },
  };
  /** Nanoseconds per call over `chunks` timed chunks, the queue drained between them. */
  const measure = async (run, inRequest) => {
    let elapsed = 0n;
    for (let chunk = 0; chunk < chunks; chunk++) {
      const started = process.hrtime.bigint();
      // One parent per chunk of calls: its own cost is spread over 2048 of them.
      if (inRequest) traceSpan('GET /models/:id', run);
      else run();
      elapsed += process.hrtime.bigint() - started;
      await getTracing()?.forceFlush();
    }
    return Number(elapsed) / (chunks * CHUNK);
  };
  const results = {};
  for (let round = 0; round < rounds; round++) {
    for (const [mode, { inRequest = false, ...options }] of Object.entries(modes)) {
      await getTracing()?.shutdown();
      configureTracing({
        ...options,
        exporter: 'none',
        registerGlobal: false,
        env: {},
        instrumentations: { http: false, undici: false, pg: false, ioredis: false },
      });
      for (const [name, run] of Object.entries(cases)) {
        await measure(run, inRequest); // warm-up
        results[mode] ??= {};
        results[mode][name] ??= [];
        results[mode][name].push(await measure(run, inRequest));
      }
      await getTracing()?.forceFlush();
    }
  }
  await getTracing()?.shutdown();
  const rows = [];
  for (const [mode, byCase] of Object.entries(results)) {
    const plain = median(byCase['plain call']);
    for (const [call, values] of Object.entries(byCase)) {
      rows.push({ mode, call, nsPerCall: median(values), addedNs: median(values) - plain });
    }
  }
  if (sink === 42) console.log('');
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await runSpanHelpersBench({ rounds: 7, calls: 300_000 }));
}
