// A service exporting one span over OTLP with the protocol given: prints how many of the OTLP
// transformer's modules its main thread has loaded by then.
import { createRequire } from 'node:module';
import { configureTracing, traceSpan } from '@maestro/tracing-core';

const [url, protocol] = process.argv.slice(2);
const tracing = configureTracing({
  env: {},
  serviceName: 'model-registry',
  otlp: { url, protocol },
  instrumentations: { http: false, undici: false, pg: false, ioredis: false },
  registerGlobal: false,
});
await traceSpan('warm_cache', () => {});
await tracing.forceFlush();
const transformerModules = Object.keys(createRequire(import.meta.url).cache).filter((path) =>
  path.includes('/@opentelemetry/otlp-transformer/'),
).length;
console.log(JSON.stringify({ transformerModules }));
await tracing.shutdown();
