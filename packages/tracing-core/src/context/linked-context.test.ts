import {
  type Context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  type Span,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { contextWithBaggage, contextWithSpan } from './linked-context.ts';

const span = (spanId: string): Span =>
  trace.wrapSpanContext({
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId,
    traceFlags: TraceFlags.SAMPLED,
  });

describe('contextWithSpan', () => {
  it('is what trace.setSpan returns to every reader: the span, the parent values, propagation', () => {
    const tenant = createContextKey('tenant');
    const parent = propagation.setBaggage(
      ROOT_CONTEXT.setValue(tenant, 'acme'),
      propagation.createBaggage({ 'tenant.id': { value: 'acme' } }),
    );
    const server = span('00f067aa0ba902b7');
    const ours = contextWithSpan(parent, server);
    const theirs = trace.setSpan(parent, server);

    expect(trace.getSpan(ours)).toBe(server);
    expect(ours.getValue(tenant)).toBe('acme');
    expect(propagation.getBaggage(ours)?.getEntry('tenant.id')?.value).toBe('acme');
    expect(isTracingSuppressed(suppressTracing(ours))).toBe(true);
    expect(isTracingSuppressed(ours)).toBe(false);
    expect(trace.getSpan(trace.deleteSpan(ours))).toBeUndefined();
    expect(trace.getSpan(parent)).toBeUndefined();

    const carriers = [ours, theirs].map((ctx) => {
      const carrier: Record<string, string> = {};
      new W3CTraceContextPropagator().inject(ctx, carrier, {
        set: (c, key, value) => {
          c[key] = value;
        },
      });
      return carrier;
    });
    expect(carriers[0]).toEqual({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(carriers[0]).toEqual(carriers[1]);
  });

  it('reads like the API context through any sequence of sets and deletes, however deep', () => {
    const keys = ['a', 'b', 'c', 'd'].map((name) => createContextKey(name));
    let ours: Context = contextWithSpan(ROOT_CONTEXT, span('0000000000000001'));
    let theirs: Context = trace.setSpan(ROOT_CONTEXT, span('0000000000000001'));
    // 60 steps: several times the depth at which linked contexts fold back into the API's kind.
    for (let step = 0; step < 60; step++) {
      const key = keys[(step * 7) % keys.length]!;
      if (step % 5 === 4) {
        ours = ours.deleteValue(key);
        theirs = theirs.deleteValue(key);
      } else if (step % 9 === 8) {
        ours = contextWithSpan(ours, span(step.toString(16).padStart(16, '0')));
        theirs = trace.setSpan(theirs, span(step.toString(16).padStart(16, '0')));
      } else {
        ours = ours.setValue(key, step);
        theirs = theirs.setValue(key, step);
      }
      for (const read of keys) expect(ours.getValue(read), `step ${step}`).toBe(theirs.getValue(read));
      expect(trace.getSpanContext(ours)?.spanId).toBe(trace.getSpanContext(theirs)?.spanId);
    }
  });

  it('leaves its parent as it was', () => {
    const key = createContextKey('k');
    const parent = ROOT_CONTEXT.setValue(key, 1);
    const child = contextWithSpan(parent, span('0000000000000002')).setValue(key, 2);
    expect(child.getValue(key)).toBe(2);
    expect(parent.getValue(key)).toBe(1);
    expect(trace.getSpan(parent)).toBeUndefined();
  });
});

describe('contextWithBaggage', () => {
  it('is what propagation.setBaggage returns to every reader, and leaves the parent as it was', () => {
    const tenant = createContextKey('tenant');
    const server = span('00f067aa0ba902b7');
    const parent = trace.setSpan(ROOT_CONTEXT.setValue(tenant, 'acme'), server);
    const baggage = propagation.createBaggage({
      'tenant.id': { value: 'acme' },
      'user.id': { value: 'u-7' },
    });
    const ours = contextWithBaggage(parent, baggage);

    expect(propagation.getBaggage(ours)).toBe(baggage);
    expect(trace.getSpan(ours)).toBe(server);
    expect(ours.getValue(tenant)).toBe('acme');
    expect(propagation.getBaggage(parent)).toBeUndefined();
    expect(propagation.getBaggage(propagation.deleteBaggage(ours))).toBeUndefined();
    // The span set on top of it keeps the baggage, as the lifecycle's SERVER span context does.
    expect(propagation.getBaggage(contextWithSpan(ours, span('00f067aa0ba902b8')))).toBe(baggage);
  });
});
