import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
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
    // 3000 roots use 72 000 random bytes: the 4 KiB pool is refilled seventeen times.
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
});
