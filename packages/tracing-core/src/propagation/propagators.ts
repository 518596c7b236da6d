import type { Context, TextMapGetter, TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { dependency } from '../runtime/dependencies.ts';
import type { PropagatorName } from '../types.ts';

/**
 * W3C Trace Context says a request carrying `traceparent` more than once is invalid; the SDK's
 * propagator would silently take the first one. Node joins duplicates into one string, which the
 * SDK already rejects; this covers carriers that keep them apart (undici, fetch Headers arrays).
 */
class StrictTraceContextPropagator extends W3CTraceContextPropagator {
  override extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const value = getter.get(carrier, 'traceparent');
    // No traceparent: nothing to continue, as the SDK's own propagator would find after reading it again.
    if (value === undefined || (Array.isArray(value) && value.length > 1)) return context;
    return super.extract(context, carrier, getter);
  }
}

function b3Propagator(encoding: 'SINGLE_HEADER' | 'MULTI_HEADER'): TextMapPropagator {
  const { B3InjectEncoding, B3Propagator } = dependency('@opentelemetry/propagator-b3');
  return new B3Propagator({ injectEncoding: B3InjectEncoding[encoding] });
}

const factories: Record<Exclude<PropagatorName, 'none'>, () => TextMapPropagator> = {
  tracecontext: () => new StrictTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => b3Propagator('SINGLE_HEADER'),
  b3multi: () => b3Propagator('MULTI_HEADER'),
  jaeger: () => new (dependency('@opentelemetry/propagator-jaeger').JaegerPropagator)(),
};

/**
 * The propagator for `OTEL_PROPAGATORS`-style names. The composite catches and logs an error from
 * any one propagator, so a malformed header costs only that propagator's part of the context;
 * the W3C ones themselves follow the specification's processing rules (invalid `traceparent`:
 * fresh trace; invalid `tracestate` members or oversized baggage entries: dropped).
 */
export function createPropagator(names: readonly PropagatorName[]): TextMapPropagator {
  const propagators = names
    .filter((name): name is Exclude<PropagatorName, 'none'> => name !== 'none')
    .map((name) => factories[name]());
  return new CompositePropagator({ propagators });
}
