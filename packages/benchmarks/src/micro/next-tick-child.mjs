// One process of the nextTick benchmark (run with --expose-gc): ns per process.nextTick(fn, arg),
// fresh and then after idle moments with a full collection in each, as a service's idle periods
// bring (V8's memory reducer); then ns per call of a small async/await chain, which shows whether
// V8's promise hooks were ever installed in the process. CONFIGURE=1 configures tracing (disabled)
// first. Prints one JSON line.
import { setImmediate as idle } from 'node:timers/promises';

if (process.env.CONFIGURE === '1') {
  const { configureTracing } = await import('@maestro/tracing-core');
  configureTracing({
    serviceName: 'bench-next-tick',
    enabled: false,
    instrumentations: { http: false, undici: false, pg: false, ioredis: false },
  });
}

const TICKS = Number(process.env.TICKS ?? 200_000);
let sum = 0;
const work = (value) => {
  sum += value;
};

async function nsPerTick() {
  const started = process.hrtime.bigint();
  for (let done = 0; done < TICKS; done += 1000) {
    for (let i = 0; i < 1000; i++) process.nextTick(work, i);
    await idle();
  }
  return Number(process.hrtime.bigint() - started) / TICKS;
}

await nsPerTick();
const fresh = await nsPerTick();
for (let moment = 0; moment < 8; moment++) {
  process.nextTick(work, moment);
  await idle();
  globalThis.gc();
}
await nsPerTick();
const afterIdle = await nsPerTick();

const leaf = async (value) => value + 1;
const step = async (value) => (await leaf(value)) * 2;
async function nsPerAwaitChain() {
  const started = process.hrtime.bigint();
  for (let i = 0; i < TICKS; i++) sum += await step(i);
  return Number(process.hrtime.bigint() - started) / TICKS;
}
await nsPerAwaitChain();
const awaitChain = await nsPerAwaitChain();
process.stdout.write(`${JSON.stringify({ fresh, afterIdle, awaitChain, sum })}\n`);
