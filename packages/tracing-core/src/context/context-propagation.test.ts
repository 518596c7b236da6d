import { EventEmitter, once } from 'node:events';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { context, trace } from '@opentelemetry/api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { traceSpan } from '../spans/helpers.ts';
import { createTestTracing } from '../testing/index.ts';

const testing = createTestTracing();
afterEach(() => testing.reset());
afterAll(() => testing.shutdown());

/** The span id active right now, or undefined. */
const activeId = () => trace.getActiveSpan()?.spanContext().spanId;

describe('the active span survives asynchronous boundaries', () => {
  it('across await', async () => {
    await traceSpan('parent', async (span) => {
      await Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
      expect(activeId()).toBe(span.spanContext().spanId);
    });
  });

  it('into timers', async () => {
    await traceSpan('parent', async (span) => {
      const seen = await new Promise((resolve) => setTimeout(() => resolve(activeId()), 5));
      const seenInterval = await new Promise((resolve) => {
        const interval = setInterval(() => {
          clearInterval(interval);
          resolve(activeId());
        }, 1);
      });
      expect(seen).toBe(span.spanContext().spanId);
      expect(seenInterval).toBe(span.spanContext().spanId);
    });
  });

  it('through Promise.all, each branch keeping its own child', async () => {
    await traceSpan('parent', async (parent) => {
      const ids = await Promise.all(
        [1, 2, 3].map((n) =>
          traceSpan(`child-${n}`, async (child) => {
            await new Promise((resolve) => setTimeout(resolve, 4 - n));
            expect(activeId()).toBe(child.spanContext().spanId);
            return child.spanContext().spanId;
          }),
        ),
      );
      expect(new Set(ids).size).toBe(3);
      expect(activeId()).toBe(parent.spanContext().spanId);
    });
    const parent = testing.span('parent');
    for (const n of [1, 2, 3]) {
      expect(testing.span(`child-${n}`).parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    }
  });

  it('into EventEmitter listeners, which run in the emitter’s context', async () => {
    const emitter = new EventEmitter();
    await traceSpan('parent', async (span) => {
      const received = once(emitter, 'job').then(() => activeId());
      let inListener: string | undefined;
      emitter.on('job', () => {
        inListener = activeId();
      });
      setTimeout(() => emitter.emit('job'), 1);
      await received;
      expect(inListener).toBe(span.spanContext().spanId);
    });
  });

  it('into a listener bound to the span even when emitted from elsewhere', async () => {
    const emitter = new EventEmitter();
    let bound: EventEmitter | undefined;
    const spanId = traceSpan('binder', (span) => {
      bound = context.bind(context.active(), emitter);
      return span.spanContext().spanId;
    });
    let inListener: string | undefined;
    bound!.on('tick', () => {
      inListener = activeId();
    });
    emitter.emit('tick');
    expect(inListener).toBe(spanId);
  });

  it('through a stream pipeline', async () => {
    await traceSpan('parent', async (span) => {
      const seen: Array<string | undefined> = [];
      await pipeline(
        Readable.from(['a', 'b', 'c']),
        new Transform({
          objectMode: true,
          transform(chunk, _encoding, callback) {
            seen.push(activeId());
            setTimeout(() => callback(null, chunk), 1);
          },
        }),
        new Writable({
          objectMode: true,
          write(_chunk, _encoding, callback) {
            seen.push(activeId());
            callback();
          },
        }),
      );
      expect(seen).toHaveLength(6);
      expect(new Set(seen)).toEqual(new Set([span.spanContext().spanId]));
    });
  });

  it('does not leak a span into work started after it ended', async () => {
    traceSpan('short', () => {});
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(activeId()).toBeUndefined();
  });
});
