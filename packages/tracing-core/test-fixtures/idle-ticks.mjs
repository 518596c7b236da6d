// A service that goes idle between bursts of work, with a full collection in each idle moment (as
// V8's memory reducer takes them), then prints V8's view of process.nextTick, inline caches
// included. Run with --allow-natives-syntax --expose-gc; CONFIGURE=1 configures tracing first.
import { setImmediate as idle } from 'node:timers/promises';

if (process.env.CONFIGURE === '1') {
  const { configureTracing } = await import('@maestro/tracing-core');
  configureTracing({
    serviceName: 'batch-scorer',
    enabled: false,
    instrumentations: { http: false, undici: false, pg: false, ioredis: false },
  });
}
const debugPrint = new Function('value', '%DebugPrint(value)');
const work = () => {};
for (let burst = 0; burst < 8; burst++) {
  for (let i = 0; i < 50; i++) process.nextTick(work, i);
  await idle();
  globalThis.gc();
}
for (let i = 0; i < 50; i++) process.nextTick(work, i);
await idle();
debugPrint(process.nextTick);
