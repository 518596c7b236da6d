// A service that goes idle between bursts of work, with a full collection in each idle moment (as
// V8's memory reducer takes them), then prints V8's view of process.nextTick, inline caches
// included when run with --allow-natives-syntax. Run with --expose-gc.
import { setImmediate as idle } from 'node:timers/promises';

// CONFIGURE=disabled or enabled configures tracing first; with tracing on, the bursts run in a
// request context as an adapter's would.
let inContext = (work) => work();
if (process.env.CONFIGURE === 'disabled' || process.env.CONFIGURE === 'enabled') {
  const { configureTracing } = await import('@maestro/tracing-core');
  configureTracing({
    serviceName: 'batch-scorer',
    enabled: process.env.CONFIGURE === 'enabled',
    exporter: 'none',
    instrumentations: { http: false, undici: false, pg: false, ioredis: false },
  });
  const { context, ROOT_CONTEXT, createContextKey } = await import('@opentelemetry/api');
  const key = createContextKey('burst');
  inContext = (work) => context.with(ROOT_CONTEXT.setValue(key, true), work);
}
const work = () => {};
const burst = () => {
  for (let i = 0; i < 50; i++) process.nextTick(work, i);
};
for (let round = 0; round < 8; round++) {
  inContext(burst);
  await idle();
  globalThis.gc();
}
inContext(burst);
await idle();
// Some promise work, as any service does: with promise hooks installed it would take V8's slow path.
await Promise.all([1, 2, 3].map(async (n) => n * (await Promise.resolve(n))));
if (process.execArgv.includes('--allow-natives-syntax')) {
  new Function('value', '%DebugPrint(value)')(process.nextTick);
}
