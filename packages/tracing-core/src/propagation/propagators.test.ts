import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createPropagator } from './propagators.ts';

const w3c = createPropagator(['tracecontext', 'baggage']);
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

function extract(headers: Record<string, string | string[]>, propagator = w3c) {
  const ctx = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  return { span: trace.getSpanContext(ctx), baggage: propagation.getBaggage(ctx), ctx };
}

function inject(ctx: ReturnType<typeof extract>['ctx'], propagator = w3c): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

describe('W3C trace context', () => {
  it('continues a valid traceparent and keeps tracestate', () => {
    const { span, ctx } = extract({ traceparent: VALID, tracestate: 'vendor=abc,other=1' });
    expect(span).toMatchObject({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(span?.traceState?.serialize()).toBe('vendor=abc,other=1');
    expect(inject(ctx)).toEqual({ traceparent: VALID, tracestate: 'vendor=abc,other=1' });
  });

  it.each([
    ['a bad version', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['an all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['illegal characters', `00-${TRACE_ID.replace('a', 'Z')}-${SPAN_ID}-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['a short id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['trailing data on version 00', `${VALID}-extra`],
    ['two headers joined by Node', `${VALID}, 00-${'1'.repeat(32)}-${SPAN_ID}-01`],
    ['garbage', '\u0000\u00ff;DROP TABLE'],
    ['an empty value', ''],
  ])('starts a fresh trace for %s, and never propagates it', (_label, traceparent) => {
    const { span, ctx } = extract({ traceparent });
    expect(span).toBeUndefined();
    expect(inject(ctx)).toEqual({});
  });

  it('treats a traceparent given twice as invalid', () => {
    expect(extract({ traceparent: [VALID, VALID] }).span).toBeUndefined();
  });

  it('accepts a future version with extra fields, as the specification asks', () => {
    expect(extract({ traceparent: `01-${TRACE_ID}-${SPAN_ID}-01-future` }).span?.traceId).toBe(TRACE_ID);
  });

  it('drops invalid tracestate members but keeps the trace', () => {
    const { span } = extract({ traceparent: VALID, tracestate: 'good=1,BAD KEY=2,also=ok' });
    expect(span?.traceId).toBe(TRACE_ID);
    expect(span?.traceState?.get('good')).toBe('1');
    expect(span?.traceState?.get('BAD KEY')).toBeUndefined();
  });

  it('ignores an oversized tracestate without losing the trace', () => {
    const huge = Array.from({ length: 100 }, (_, i) => `k${i}=${'v'.repeat(20)}`).join(',');
    const { span, ctx } = extract({ traceparent: VALID, tracestate: huge });
    expect(span?.traceId).toBe(TRACE_ID);
    const injected = inject(ctx).tracestate ?? '';
    expect(injected.length).toBeLessThanOrEqual(512);
    expect(injected.split(',').length).toBeLessThanOrEqual(32);
  });
});

describe('W3C baggage', () => {
  it('extracts and re-injects baggage', () => {
    const { baggage, ctx } = extract({ traceparent: VALID, baggage: 'tenant.id=acme,user.id=u%201' });
    expect(baggage?.getEntry('tenant.id')?.value).toBe('acme');
    expect(baggage?.getEntry('user.id')?.value).toBe('u 1');
    expect(inject(ctx).baggage).toBe('tenant.id=acme,user.id=u%201');
  });

  it('drops malformed entries and keeps the rest, without throwing', () => {
    const { baggage, span } = extract({
      traceparent: VALID,
      baggage: 'ok=1,broken=%E0%A4%A,=novalue,,also=2',
    });
    expect(span?.traceId).toBe(TRACE_ID);
    expect(baggage?.getEntry('ok')?.value).toBe('1');
    expect(baggage?.getEntry('also')?.value).toBe('2');
    expect(baggage?.getEntry('broken')).toBeUndefined();
  });

  it('caps oversized baggage at the W3C limits', () => {
    const entries = Array.from({ length: 400 }, (_, i) => `key${i}=${'x'.repeat(40)}`).join(',');
    const { baggage } = extract({ baggage: `${entries},huge=${'y'.repeat(5000)}` });
    const all = baggage?.getAllEntries() ?? [];
    expect(all.length).toBeLessThanOrEqual(180);
    expect(all.map(([key]) => key)).not.toContain('huge');
    const serialized = all.map(([key, entry]) => `${key}=${entry.value}`).join(',');
    expect(serialized.length).toBeLessThanOrEqual(8192);
  });
});

describe('B3 and Jaeger on request', () => {
  const spanContext: SpanContext = {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: false,
  };
  const active = trace.setSpanContext(ROOT_CONTEXT, spanContext);

  it('b3 single header round-trips', () => {
    const b3 = createPropagator(['b3']);
    const headers = inject(active as never, b3);
    expect(headers.b3).toBe(`${TRACE_ID}-${SPAN_ID}-1`);
    expect(extract(headers, b3).span?.traceId).toBe(TRACE_ID);
  });

  it('b3multi uses the X-B3-* headers', () => {
    const b3multi = createPropagator(['b3multi']);
    const headers = inject(active as never, b3multi);
    expect(headers['x-b3-traceid']).toBe(TRACE_ID);
    expect(headers['x-b3-spanid']).toBe(SPAN_ID);
    expect(extract(headers, b3multi).span?.spanId).toBe(SPAN_ID);
  });

  it('jaeger uses uber-trace-id', () => {
    const jaeger = createPropagator(['jaeger']);
    const headers = inject(active as never, jaeger);
    expect(headers['uber-trace-id']).toBe(`${TRACE_ID}:${SPAN_ID}:0:01`);
    expect(extract(headers, jaeger).span?.traceId).toBe(TRACE_ID);
    expect(extract({ 'uber-trace-id': 'not:a:valid' }, jaeger).span).toBeUndefined();
  });

  it('none propagates nothing', () => {
    const none = createPropagator([]);
    expect(inject(active as never, none)).toEqual({});
    expect(extract({ traceparent: VALID }, none).span).toBeUndefined();
  });

  it('a throwing getter costs only that propagator, never the request', () => {
    const hostile = {
      get traceparent(): string {
        throw new Error('hostile carrier');
      },
    };
    expect(() => w3c.extract(context.active(), hostile, defaultTextMapGetter)).not.toThrow();
  });
});
