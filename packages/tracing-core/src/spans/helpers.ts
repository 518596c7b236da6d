import {
  type Attributes,
  type AttributeValue,
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Span,
  type SpanOptions,
  trace,
} from '@opentelemetry/api';
import { contextWithSpan } from '../context/linked-context.ts';
import { currentTracer } from './active-tracer.ts';
import { finishWith, recordError } from './run-in-span.ts';

/** Handed to callbacks when tracing is off, so user code never has to check for `undefined`. */
export const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

function callInSpan<T>(span: Span, fn: (span: Span) => T): T {
  let result: T;
  try {
    result = fn(span);
  } catch (error) {
    recordError(span, error);
    span.end();
    throw error;
  }
  return finishWith(span, result);
}

/**
 * Runs `fn` inside a new active span and ends it when `fn` returns, its Promise settles or its
 * Observable finishes. A thrown or rejected error is recorded with ERROR status and rethrown untouched.
 *
 * @example
 * const rows = await traceSpan('load_training_data', { 'dataset.name': name }, () => loadData(name));
 */
export function traceSpan<T>(name: string, fn: (span: Span) => T): T;
export function traceSpan<T>(name: string, attributes: Attributes | undefined, fn: (span: Span) => T): T;
export function traceSpan<T>(
  name: string,
  attributesOrFn: Attributes | undefined | ((span: Span) => T),
  maybeFn?: (span: Span) => T,
): T {
  const fn = (typeof attributesOrFn === 'function' ? attributesOrFn : maybeFn) as (span: Span) => T;
  const tracer = currentTracer();
  if (tracer === undefined) return fn(NOOP_SPAN);
  const options: SpanOptions | undefined =
    typeof attributesOrFn === 'object' ? { attributes: attributesOrFn } : undefined;
  const span = tracer.startSpan(name, options);
  return context.with(contextWithSpan(context.active(), span), callInSpan<T>, undefined, span, fn);
}

/**
 * Wraps a function so that every call runs in its own span (the seed's `@traced("name")`).
 *
 * @example
 * const runPipeline = traced('ml_pipeline', async (config: PipelineConfig) => train(await load(config)));
 */
export function traced<F extends (...args: never[]) => unknown>(name: string, fn: F): F {
  const wrapped = function (this: unknown, ...args: Parameters<F>) {
    return traceSpan(name, () => fn.apply(this, args));
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
  return wrapped as unknown as F;
}

/** The active span, or a non-recording one: safe to call anywhere, tracing on or off. */
export function activeSpan(): Span {
  return trace.getActiveSpan() ?? NOOP_SPAN;
}

/**
 * Adds attributes to the active span (the seed's "Custom Attributes").
 *
 * @example
 * setSpanAttributes({ 'model.id': id, 'model.type': 'pytorch' });
 */
export function setSpanAttributes(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** Sets one attribute on the active span. */
export function setSpanAttribute(key: string, value: AttributeValue): void {
  trace.getActiveSpan()?.setAttribute(key, value);
}

/**
 * Adds a timestamped event to the active span (the seed's "Span Events").
 *
 * @example
 * addSpanEvent('checkpoint_saved', { epoch: 50, loss: 0.23 });
 */
export function addSpanEvent(name: string, attributes?: Attributes): void {
  trace.getActiveSpan()?.addEvent(name, attributes);
}

/** Records an error on the active span and marks it ERROR, leaving the error itself untouched. */
export function recordSpanError(error: unknown): void {
  const span = trace.getActiveSpan();
  if (span !== undefined) recordError(span, error);
}

/** The ids a log line needs to link to its trace; empty outside a valid span. */
export interface LogTraceContext {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

/**
 * The active trace and span ids for structured logs: pass it as pino's `mixin`, or merge it in a
 * winston format, and every log line links to its trace in Jaeger.
 *
 * @example
 * const logger = pino({ mixin: logContext });
 */
export function logContext(): LogTraceContext {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`,
  };
}
