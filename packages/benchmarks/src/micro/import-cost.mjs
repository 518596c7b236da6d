// What importing @maestro/tracing-core and configuring it costs a process: the time, the heap it
// keeps and the RSS, with tracing disabled and with it on (OTLP export, whose worker starts with
// the exporter). Each setting runs in fresh processes, the settings alternating, so a slow spell
// of the machine falls on all alike; see the child script for what one process measures.
import { here, inFreshProcesses, median } from '../processes.mjs';

const child = here('./micro/import-child.mjs');

const SETTINGS = [
  { setting: 'nothing imported', options: undefined },
  { setting: 'tracing disabled', options: { enabled: false } },
  // No collector listens there: nothing is exported, as nothing ends a span.
  { setting: 'tracing on, OTLP', options: { otlp: { url: 'http://127.0.0.1:9/v1/traces' } } },
];

export async function runImportCostBench({ processes }) {
  const runs = await inFreshProcesses({
    child,
    envs: SETTINGS.map(({ options }) => (options === undefined ? {} : { OPTIONS: JSON.stringify(options) })),
    processes,
    timeoutMs: 60_000,
  });
  return SETTINGS.map(({ setting }, index) => ({
    setting,
    ms: median(runs[index].map((measured) => measured.ms)),
    heapMB: median(runs[index].map((measured) => measured.heapMB)),
    rssMB: median(runs[index].map((measured) => measured.rssMB)),
  }));
}
