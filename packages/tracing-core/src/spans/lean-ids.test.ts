import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, vi } from 'vitest';

// The first pool of random bytes comes out all zero: the ids cut from it would be invalid.
const zeroFills = vi.hoisted(() => ({ left: 1 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    randomFillSync: <T extends NodeJS.ArrayBufferView>(buffer: T): T => {
      if (zeroFills.left-- > 0) {
        new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).fill(0);
        return buffer;
      }
      return crypto.randomFillSync(buffer);
    },
  };
});

const { LeanTracer } = await import('./lean-tracer.ts');

describe('LeanTracer ids', () => {
  const tracer = new LeanTracer({
    // Unsampled roots get ids too: they go downstream in traceparent and back in traceresponse.
    sampler: new AlwaysOffSampler(),
    processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
    resource: resourceFromAttributes({ 'service.name': 'model-registry' }),
    scope: { name: '@maestro/tracing-core' },
    spanLimits: {},
  });

  it('never hands out an all-zero id, and gives every root span fresh lowercase hex ids across pool refills', () => {
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    // 3000 roots use 72 000 random bytes, past the first (all-zero) fill of 64 KiB and the next.
    for (let i = 0; i < 3000; i++) {
      const { traceId, spanId } = tracer
        .startSpan('GET', { kind: SpanKind.SERVER }, ROOT_CONTEXT)
        .spanContext();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(traceId).not.toBe('0'.repeat(32));
      expect(spanId).not.toBe('0'.repeat(16));
      traceIds.add(traceId);
      spanIds.add(spanId);
    }
    expect(zeroFills.left).toBeLessThan(0);
    expect(traceIds.size).toBe(3000);
    expect(spanIds.size).toBe(3000);
  });

  it('never hands a child span an all-zero span id, when a pool of random bytes comes out zero', () => {
    // A child takes its trace id from its parent and draws only a span id: the next pool of bytes
    // (at most 64 KiB away, 8 bytes a child) comes out all zero, and its ids must be skipped.
    zeroFills.left = 1;
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.NONE,
      isRemote: true,
    });
    const spanIds = new Set<string>();
    for (let i = 0; i < 9000; i++) {
      const { spanId } = tracer.startSpan('SELECT', { kind: SpanKind.CLIENT }, parent).spanContext();
      expect(spanId).not.toBe('0'.repeat(16));
      spanIds.add(spanId);
    }
    expect(zeroFills.left).toBeLessThan(0);
    expect(spanIds.size).toBe(9000);
  });

  it('lets a kept id hold a few hundred bytes, not the pool it was cut from', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const root = () => tracer.startSpan('GET', { kind: SpanKind.SERVER }, ROOT_CONTEXT).spanContext();
    // Warm up, so the measure below holds only what the kept ids pin.
    for (let i = 0; i < 50_000; i++) root();
    gc();
    const before = process.memoryUsage().heapUsed;
    // One id kept out of every 200, as exemplars or log records keep a few: each from another pool.
    const kept: string[] = [];
    for (let i = 0; i < 3000 * 200; i++) {
      const { traceId } = root();
      if (i % 200 === 0) kept.push(traceId);
    }
    gc();
    const heldPerId = (process.memoryUsage().heapUsed - before) / kept.length;
    // Cut from one hex string of a 4 KiB pool, each held 8 KiB; from a 512-character chunk, ~0.5 KiB.
    expect(heldPerId).toBeLessThan(1500);
    expect(new Set(kept).size).toBe(3000);
  });
});
