// One process of the import benchmark (run with --expose-gc): the time to import
// @maestro/tracing-core and configure it with the JSON options in OPTIONS, and the heap it keeps
// after a full collection; with OPTIONS unset it imports nothing, which is the baseline. Prints
// one JSON line.
globalThis.gc();
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
let tracing;
if (process.env.OPTIONS !== undefined) {
  const { configureTracing } = await import('@maestro/tracing-core');
  tracing = configureTracing({ serviceName: 'bench-import', ...JSON.parse(process.env.OPTIONS) });
}
const ms = performance.now() - started;
// The OTLP export worker starts with the exporter and boots on its own thread: read the RSS once it
// has, so that what was loaded before or after its start does not decide how much of it is counted.
await new Promise((resolve) => setTimeout(resolve, 500));
globalThis.gc();
const { heapUsed, rss } = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ ms, heapMB: (heapUsed - heapBefore) / 2 ** 20, rssMB: rss / 2 ** 20 })}\n`,
);
await tracing?.shutdown();
