import { executionAsyncResource } from 'node:async_hooks';

/**
 * `process.nextTick` builds each queued tick as an object literal with symbol keys. V8 keeps the
 * hidden classes of that literal alive only while some tick is alive, so every full collection
 * taken while the queue is empty (startup, or any idle moment of a service) drops them, and the
 * next tick builds new ones. Once the literal's inline caches have seen five generations of them
 * they go megamorphic for good, and every tick is built in the runtime instead of compiled code:
 * 0.4–0.5 µs more per tick on Node 20 and 24 (`docs/benchmarks.md`), which on Node 24 had a Fastify
 * server with tracing disabled spend a fifth more CPU per request. Holding one real tick for the
 * life of the process keeps one generation alive, so the caches stay monomorphic. On Node 24 the
 * tick also holds the async context frame current when tracing is configured: at startup, none.
 */
const KEPT_TICK = Symbol.for('@maestro/tracing-core.kept-next-tick');

type HoldsTick = { [KEPT_TICK]?: object };

/**
 * Keeps one tick object alive for the process; a no-op once done, whichever copy of us did it.
 *
 * The tick is the one this queues, taken inside its own callback, where Node reports the tick as
 * the executing resource. An async hook would see it as it is made, but enabling any hook installs
 * V8's promise hooks, and V8 then keeps every promise on its slower path for the rest of the
 * process, even once the hook is disabled (an async/await loop ran 15–30 % slower after one
 * hook was enabled and disabled, on Node 20 and 24). From the call until the callback runs the
 * queued tick itself is alive, so no collection in between finds the queue empty.
 */
export function keepNextTickShapesAlive(): void {
  const holder = globalThis as HoldsTick;
  if (holder[KEPT_TICK] !== undefined) return;
  // Claimed now, so a second call before the tick runs queues no second one.
  holder[KEPT_TICK] = CLAIMED;
  process.nextTick(keepThisTick);
}

const CLAIMED: object = Object.freeze({});

function keepThisTick(): void {
  (globalThis as HoldsTick)[KEPT_TICK] = executionAsyncResource();
}
