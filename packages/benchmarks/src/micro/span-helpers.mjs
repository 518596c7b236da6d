// Cost per call of traceSpan and @Traced against a plain call, in nanoseconds, side by side.
// Modes: disabled (TRACING_ENABLED=false), non-recording (sampler always_off) and recording
// (always_on, spans exported through the batch processor to a discarding exporter).
// Rounds interleave the modes so a noisy neighbour hits them all alike; medians are reported.
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
    batch: { maxQueueSize: 1_000_000, maxExportBatchSize: 4096, scheduledDelayMillis: 50 },
  },
};

export async function runSpanHelpersBench({ rounds, calls }) {
  const cases = {
    'plain call': () => {
      for (let i = 0; i < calls; i++) sink += plainService.work(i);
    },
    traceSpan: () => {
      for (let i = 0; i < calls; i++) sink += traceSpan('work', () => plainService.work(i));
    },
    '@Traced': () => {
      for (let i = 0; i < calls; i++) sink += tracedService.work(i);
    },
  };
  const results = {};
  for (let round = 0; round < rounds; round++) {
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
        const started = process.hrtime.bigint();
        run();
        results[mode] ??= {};
        results[mode][name] ??= [];
        results[mode][name].push(Number(process.hrtime.bigint() - started) / calls);
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
