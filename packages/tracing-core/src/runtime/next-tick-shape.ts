import { createHook } from 'node:async_hooks';

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

/** Keeps one tick object alive for the process; a no-op once done, whichever copy of us did it. */
export function keepNextTickShapesAlive(): void {
  const holder = globalThis as HoldsTick;
  if (holder[KEPT_TICK] !== undefined) return;
  let tick: object | undefined;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject' && tick === undefined) tick = resource;
    },
  });
  // The hook sees exactly one synchronous call: nothing else can be scheduled in between.
  hook.enable();
  try {
    process.nextTick(ignore);
  } finally {
    hook.disable();
  }
  if (tick !== undefined) holder[KEPT_TICK] = tick;
}

function ignore(): void {}
