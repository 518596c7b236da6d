import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context as contextApi,
  diag,
  type Exception,
  type HrTime,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Sampler,
  SamplingDecision,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  addHrTimes,
  hrTimeDuration,
  type InstrumentationScope,
  isAttributeValue,
  isTimeInput,
  isTimeInputHrTime,
  isTracingSuppressed,
  millisToHrTime,
  sanitizeAttributes,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanLimits, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { contextWithSpan } from '../context/linked-context.ts';
import { wallClock } from './wall-clock.ts';

/** What a {@link LeanTracer} needs: the same sampler, processor, resource and limits as the SDK's provider. */
export interface LeanTracerOptions {
  readonly sampler: Sampler;
  readonly processor: SpanProcessor;
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly spanLimits: SpanLimits;
}

type Limits = Required<SpanLimits>;

const hasOwn = Object.prototype.hasOwnProperty;
/** What `setAttribute` accepts as a value: a primitive at once, else the API's check for arrays. */
function isValidValue(value: unknown): boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' || isAttributeValue(value);
}
/** At most this many attributes are adopted whole, well under the default limit of 128. */
const ADOPTABLE_ATTRIBUTES = 64;

/**
 * Random ids from pooled CSPRNG bytes. `randomFillSync` costs several µs a call whatever the size,
 * so it fills 64 KiB at once; the bytes are turned into hex 256 at a time, and each id is a
 * substring of that 512-character string. V8 makes a substring a view that keeps its whole parent
 * alive: an id someone keeps (an exemplar, a log record, a job's row) holds 512 characters, where
 * ids cut from one hex string of a 4 KiB pool held 8 192 each. Cutting each id out of the bytes
 * with its own hex conversion cost about a tenth of a sampled request's tracing work; this costs
 * no more than the whole-pool string did (measured side by side in one process).
 */
const RANDOM_BYTES = Buffer.allocUnsafe(65536);
let randomOffset = RANDOM_BYTES.length;
const HEX_CHUNK_BYTES = 256;
let hexChunk = '';
let hexOffset = 0;

/** Where in {@link RANDOM_BYTES} the id {@link nextHexId} returned last was cut from. */
let lastIdByteOffset = 0;

/** The next `chars / 2` random bytes as hex, cut from the current chunk. */
function nextHexId(chars: 16 | 32): string {
  if (hexOffset + chars > hexChunk.length) {
    if (randomOffset === RANDOM_BYTES.length) {
      randomFillSync(RANDOM_BYTES);
      randomOffset = 0;
    }
    hexChunk = RANDOM_BYTES.toString('hex', randomOffset, randomOffset + HEX_CHUNK_BYTES);
    randomOffset += HEX_CHUNK_BYTES;
    hexOffset = 0;
  }
  lastIdByteOffset = randomOffset - HEX_CHUNK_BYTES + hexOffset / 2;
  const id = hexChunk.substring(hexOffset, hexOffset + chars);
  hexOffset += chars;
  return id;
}

/** The big-endian 32-bit word of the random bytes at `at`. */
function wordAt(at: number): number {
  const bytes = RANDOM_BYTES;
  return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
}

/** The trace id generated last. */
let lastTraceId = '';

/**
 * The 32-bit words (big-endian, as signed integers) of the last trace id and span id generated,
 * read from their random bytes while they are at hand. The ratio sampler decides on a new trace
 * from the trace id's (see {@link generatedTraceIdWords}), and a recording span keeps them all for
 * its export (see {@link RandomIdWords}). Numbers, not a copy of the bytes: nothing is allocated
 * per id.
 */
let lastTraceIdW0 = 0;
let lastTraceIdW1 = 0;
let lastTraceIdW2 = 0;
let lastTraceIdW3 = 0;
let lastSpanIdW0 = 0;
let lastSpanIdW1 = 0;

function generateTraceId(): string {
  for (;;) {
    const id = nextHexId(32);
    const at = lastIdByteOffset;
    const w0 = wordAt(at);
    const w1 = wordAt(at + 4);
    const w2 = wordAt(at + 8);
    const w3 = wordAt(at + 12);
    // An all-zero id is invalid in W3C trace context; the chance is 2^-128, but never emit one.
    // Read from the bytes: comparing the id with a string of zeros cost more than making it.
    if ((w0 | w1 | w2 | w3) === 0) continue;
    lastTraceId = id;
    lastTraceIdW0 = w0;
    lastTraceIdW1 = w1;
    lastTraceIdW2 = w2;
    lastTraceIdW3 = w3;
    return id;
  }
}

function generateSpanId(): string {
  for (;;) {
    const id = nextHexId(16);
    const w0 = wordAt(lastIdByteOffset);
    const w1 = wordAt(lastIdByteOffset + 4);
    if ((w0 | w1) !== 0) {
      lastSpanIdW0 = w0;
      lastSpanIdW1 = w1;
      return id;
    }
  }
}

/**
 * The XOR of a trace id's four 32-bit words when it is the id this tracer generated last (the
 * common case: the ratio sampler deciding on the trace just started), else -1. The sampler then
 * decides on a new trace without parsing 32 hex digits, which was most of the work of starting an
 * unsampled root span (with the other shortcuts of 2026-12-06, `startSpan`'s own instructions for
 * one fell from about 2 200 to 650, counted under callgrind). Equal strings have equal words, so a
 * match by content is as good as one by identity.
 */
export function generatedTraceIdWords(traceId: string): number {
  if (traceId !== lastTraceId) return -1;
  return (lastTraceIdW0 ^ lastTraceIdW1 ^ lastTraceIdW2 ^ lastTraceIdW3) >>> 0;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];

// Most spans never get an event, a link or a status, and every span is read before it ends only
// rarely: they all start on these shared, frozen values and get their own on the first write, which
// saves five allocations a span on the request path. Frozen, so a stray write throws instead of
// leaking into every other span.
const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];
const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NOT_ENDED: HrTime = Object.freeze([0, 0]) as unknown as HrTime;
const NO_DURATION: HrTime = Object.freeze([-1, -1]) as unknown as HrTime;

/**
 * The tracer behind our own spans (the SERVER span of every request, `traceSpan`, `traced`,
 * `@Traced()`). It follows the OpenTelemetry SDK's Tracer and Span semantics — sampler, parent and
 * trace state, suppression, span limits, status rules, exception events, processor calls — and
 * hands the same processors a {@link ReadableSpan}, so export is unchanged. What it leaves out is
 * the SDK's per-span overhead: attributes sanitised twice, per-span self-metrics, and per-id work.
 * Spans of third-party instrumentations still come from the SDK provider and share the processor.
 */
export class LeanTracer implements Tracer {
  readonly #sampler: Sampler;
  readonly #processor: SpanProcessor;
  readonly #resource: Resource;
  readonly #scope: InstrumentationScope;
  readonly #limits: Limits;

  constructor(options: LeanTracerOptions) {
    this.#sampler = options.sampler;
    this.#processor = options.processor;
    this.#resource = options.resource;
    this.#scope = options.scope;
    const limits = options.spanLimits;
    this.#limits = {
      attributeCountLimit: limits.attributeCountLimit ?? 128,
      attributeValueLengthLimit: limits.attributeValueLengthLimit ?? Number.POSITIVE_INFINITY,
      eventCountLimit: limits.eventCountLimit ?? 128,
      linkCountLimit: limits.linkCountLimit ?? 128,
      attributePerEventCountLimit: limits.attributePerEventCountLimit ?? 128,
      attributePerLinkCountLimit: limits.attributePerLinkCountLimit ?? 128,
    };
  }

  startSpan(name: string, options: SpanOptions = {}, parent: Context = contextApi.active()): Span {
    if (options.root) parent = trace.deleteSpan(parent);
    // The root context (every request without a traceparent) holds nothing to look up.
    const isRoot = parent === ROOT_CONTEXT;
    if (!isRoot && isTracingSuppressed(parent)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parentSpan = isRoot ? undefined : trace.getSpan(parent);
    const parentSpanContext = parentSpan?.spanContext();
    const validParent =
      parentSpanContext !== undefined && (isLeanSpan(parentSpan) || isSpanContextValid(parentSpanContext))
        ? parentSpanContext
        : undefined;
    const traceId = validParent === undefined ? generateTraceId() : validParent.traceId;
    const spanId = generateSpanId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links = options.links ?? NO_LINKS;
    const attributes = options.attributes ?? NO_ATTRIBUTES;
    const result = this.#sampler.shouldSample(parent, traceId, name, kind, attributes, links);
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags:
        result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: result.traceState ?? validParent?.traceState,
    };
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);

    const span = new LeanSpan(
      name,
      kind,
      spanContext,
      validParent,
      options.startTime,
      this.#processor,
      this.#limits,
      this.#resource,
      this.#scope,
    );
    // A new trace's words were read when its id was made; a child of our own span shares its parent's.
    if (validParent === undefined)
      span.keepTraceIdWords(lastTraceIdW0, lastTraceIdW1, lastTraceIdW2, lastTraceIdW3);
    else if (parentSpan instanceof LeanSpan && parentSpan.traceIdWords)
      span.keepTraceIdWords(
        parentSpan.traceIdW0,
        parentSpan.traceIdW1,
        parentSpan.traceIdW2,
        parentSpan.traceIdW3,
      );
    span.spanIdW0 = lastSpanIdW0;
    span.spanIdW1 = lastSpanIdW1;
    for (const link of links) span.addLink(link);
    if (attributes !== NO_ATTRIBUTES) span.setAttributes(attributes);
    if (result.attributes !== undefined) span.setAttributes(result.attributes);
    this.#processor.onStart(span as never, parent);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    parent: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    a?: SpanOptions | F,
    b?: Context | F,
    c?: F,
  ): ReturnType<F> {
    const fn = (c ?? (typeof b === 'function' ? b : a)) as F;
    const options = typeof a === 'object' ? a : undefined;
    const parent = typeof b === 'object' ? b : contextApi.active();
    const span = this.startSpan(name, options, parent);
    return contextApi.with(
      contextWithSpan(parent, span),
      fn as (span: Span) => ReturnType<F>,
      undefined,
      span,
    );
  }
}

/**
 * Whether a span is one of ours. Its ids are valid W3C ids by construction (generated, never all
 * zero, or taken from a parent that was checked), so a child of it needs no check of them: the
 * API's `isSpanContextValid` runs two regular expressions, about a fifth of a child span's cost.
 */
export function isLeanSpan(span: Span | undefined): boolean {
  return span instanceof LeanSpan;
}

/**
 * The `performance.now()` reading a span of ours started at, else undefined. The HTTP lifecycle
 * times its request from it and ends the span with {@link endSpanAt}: one clock reading at each end
 * of a request instead of two, and a span as long as the duration its metrics record.
 */
export function performanceStartOf(span: Span): number | undefined {
  return span instanceof LeanSpan ? span.monotonicStart() : undefined;
}

/** Ends a span at a `performance.now()` reading taken since it started (see {@link performanceStartOf}). */
export function endSpanAt(span: Span, performanceNow: number): void {
  if (span instanceof LeanSpan) span.endAtPerformance(performanceNow);
  else span.end();
}

/**
 * `span.setAttributes(attributes)` for a span just started, where `attributes` is freshly built for
 * it: our own spans take the object itself when that changes nothing (see LeanSpan.adoptAttributes).
 */
export function setFreshAttributes(span: Span, attributes: Attributes): void {
  if (span instanceof LeanSpan) span.adoptAttributes(attributes);
  else span.setAttributes(attributes);
}

/**
 * Where the HTTP lifecycle keeps a request's state: on the request while it is served, and on its
 * SERVER span while that records. A field set and cleared in place costs less than an entry added
 * to and removed from a WeakMap on every request. Registered globally, so a second copy of this
 * package finds it too.
 */
export const REQUEST_STATE_SLOT: unique symbol = Symbol.for('@maestro/tracing-core/request-state-slot');

/**
 * A span's ids as the 32-bit words (big-endian, signed) of the random bytes our tracer made them
 * from: the trace id's four when `traceIdWords` is true (false for a trace that came from
 * elsewhere), the span id's two when `spanIdWords` is. The OTLP encoder writes these instead of
 * parsing the ids' hex digits back, which was the largest single cost of encoding a span (2 568
 * instructions of the 22 000 a sampled Fastify request adds, counted under callgrind).
 */
export interface RandomIdWords {
  readonly traceIdWords: boolean;
  readonly traceIdW0: number;
  readonly traceIdW1: number;
  readonly traceIdW2: number;
  readonly traceIdW3: number;
  readonly spanIdWords: boolean;
  readonly spanIdW0: number;
  readonly spanIdW1: number;
}

/**
 * A recording span, readable by every SDK processor and exporter. Fields are public and named as
 * the SDK's ReadableSpan has them, so exporters read them without getters.
 */
class LeanSpan implements Span, ReadableSpan, RandomIdWords {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  endTime: HrTime = NOT_ENDED;
  duration: HrTime = NO_DURATION;
  status: SpanStatus = UNSET_STATUS;
  attributes: Attributes = {};
  links: Link[] = NO_LINKS;
  events: TimedEvent[] = NO_EVENTS;
  ended = false;
  /** Declared with the other fields, so every span has one shape whether or not it serves a request. */
  [REQUEST_STATE_SLOT]: unknown = undefined;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  traceIdWords = false;
  traceIdW0 = 0;
  traceIdW1 = 0;
  traceIdW2 = 0;
  traceIdW3 = 0;
  /** Every span of ours gets its id from generateSpanId, which keeps the id's words. */
  readonly spanIdWords = true;
  spanIdW0 = 0;
  spanIdW1 = 0;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly #spanContext: SpanContext;
  readonly #processor: SpanProcessor;
  readonly #limits: Limits;
  readonly #performanceStart: number;
  /** Wall-clock ms minus performance ms at the start: turns performance timestamps into epoch time. */
  readonly #performanceOffset: number;
  readonly #startTimeProvided: boolean;
  #attributeCount = 0;

  constructor(
    name: string,
    kind: SpanKind,
    spanContext: SpanContext,
    parentSpanContext: SpanContext | undefined,
    startTime: TimeInput | undefined,
    processor: SpanProcessor,
    limits: Limits,
    resource: Resource,
    scope: InstrumentationScope,
  ) {
    this.name = name;
    this.kind = kind;
    this.#spanContext = spanContext;
    this.parentSpanContext = parentSpanContext;
    this.#processor = processor;
    this.#limits = limits;
    this.resource = resource;
    this.instrumentationScope = scope;
    // As the SDK does: the wall clock once at start, then the monotonic clock for the duration, so
    // a span's timings never jump with NTP adjustments while it runs. The wall clock is the
    // process's offset from the monotonic one (see WallClock), which saves reading it.
    const performanceStart = performance.now();
    const wallStart = wallClock.epochMillis(performanceStart);
    this.#performanceStart = performanceStart;
    this.#performanceOffset = wallStart - performanceStart;
    this.#startTimeProvided = startTime !== undefined;
    this.startTime = startTime === undefined ? millisToHrTime(wallStart) : this.#time(startTime);
  }

  spanContext(): SpanContext {
    return this.#spanContext;
  }

  /** Records the words of the random bytes this span's trace id was made from (see RandomIdWords). */
  keepTraceIdWords(w0: number, w1: number, w2: number, w3: number): void {
    this.traceIdWords = true;
    this.traceIdW0 = w0;
    this.traceIdW1 = w1;
    this.traceIdW2 = w2;
    this.traceIdW3 = w3;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value === undefined || value === null || this.#endedWarning('setAttribute')) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isValidValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    const isNewKey = !hasOwn.call(this.attributes, key);
    if (isNewKey && this.#attributeCount >= this.#limits.attributeCountLimit) {
      this.droppedAttributesCount++;
      return this;
    }
    this.attributes[key] = this.#truncate(value);
    if (isNewKey) this.#attributeCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      if (hasOwn.call(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  /**
   * What `setAttributes(attributes)` does, taking `attributes` itself as the span's attributes when
   * that changes nothing: the limits are the defaults (no value truncated, none dropped), every value
   * is a valid one, the object is fresh and nobody else's, and with the attributes already set it
   * stays within the count limit. Attributes already set that it lacks are kept. Copying a SERVER
   * span's dozen attributes key by key cost about 0.25 µs a request.
   */
  adoptAttributes(attributes: Attributes): void {
    const limits = this.#limits;
    if (
      this.ended ||
      limits.attributeValueLengthLimit !== Number.POSITIVE_INFINITY ||
      limits.attributeCountLimit < ADOPTABLE_ATTRIBUTES
    ) {
      this.setAttributes(attributes);
      return;
    }
    let count = 0;
    for (const key in attributes) {
      if (!hasOwn.call(attributes, key)) continue;
      const value = attributes[key];
      if (
        key.length === 0 ||
        value === undefined ||
        value === null ||
        !isValidValue(value) ||
        ++count > ADOPTABLE_ATTRIBUTES
      ) {
        this.setAttributes(attributes);
        return;
      }
    }
    // Both counts together may pass the limit (keys in both are counted twice): copying drops the
    // excess as setAttributes does, which taking the object whole would not.
    if (this.#attributeCount + count > limits.attributeCountLimit) {
      this.setAttributes(attributes);
      return;
    }
    const current = this.attributes;
    for (const key in current) {
      if (hasOwn.call(current, key) && !hasOwn.call(attributes, key)) {
        attributes[key] = current[key];
        count++;
      }
    }
    this.attributes = attributes;
    this.#attributeCount = count;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.#endedWarning('addEvent')) return this;
    const { eventCountLimit, attributePerEventCountLimit } = this.#limits;
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.');
      this.droppedEventsCount++;
      return this;
    }
    if (this.events.length >= eventCountLimit) {
      if (this.droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this.droppedEventsCount++;
    }
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
    } else {
      attributes = attributesOrTime;
    }
    const limited = this.#limitedAttributes(attributes, attributePerEventCountLimit);
    if (this.events === NO_EVENTS) this.events = [];
    this.events.push({
      name,
      attributes: limited.attributes,
      time: this.#time(time),
      droppedAttributesCount: limited.dropped,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.#endedWarning('addLink')) return this;
    const { linkCountLimit, attributePerLinkCountLimit } = this.#limits;
    if (linkCountLimit === 0) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links.length >= linkCountLimit) {
      if (this.droppedLinksCount === 0) diag.debug('Dropping extra links.');
      this.links.shift();
      this.droppedLinksCount++;
    }
    const limited = this.#limitedAttributes(link.attributes, attributePerLinkCountLimit);
    const kept: Link = { context: link.context };
    if (Object.keys(limited.attributes).length > 0) kept.attributes = limited.attributes;
    if (limited.dropped > 0) kept.droppedAttributesCount = limited.dropped;
    if (this.links === NO_LINKS) this.links = [];
    this.links.push(kept);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.#endedWarning('setStatus')) return this;
    // UNSET never overrides, and OK is final: the SDK's rules.
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null)
        diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (!this.#endedWarning('updateName')) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(
        `${this.name} ${this.#spanContext.traceId}-${this.#spanContext.spanId} - You can only call end() on a span once.`,
      );
      return;
    }
    if (endTime === undefined && !this.#startTimeProvided) {
      this.#endAfter(performance.now() - this.#performanceStart);
      return;
    }
    this.endTime = this.#time(endTime);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    this.#finish();
  }

  /** The `performance.now()` reading the span is timed from, unless it ended or its start was given. */
  monotonicStart(): number | undefined {
    return this.ended || this.#startTimeProvided ? undefined : this.#performanceStart;
  }

  /** Ends the span at a `performance.now()` reading its caller already took. */
  endAtPerformance(performanceNow: number): void {
    if (this.ended || this.#startTimeProvided) this.end();
    else this.#endAfter(performanceNow - this.#performanceStart);
  }

  /**
   * The common end, timed on the monotonic clock from the start: that reading is the duration and
   * the end is the start plus it, so no third pair is built to subtract them again.
   */
  #endAfter(durationMillis: number): void {
    const duration = millisToHrTime(durationMillis);
    if (duration[1] >= 1e9) {
      duration[0] += 1;
      duration[1] -= 1e9;
    }
    this.duration = duration;
    this.endTime = addHrTimes(this.startTime, duration);
    this.#finish();
  }

  #finish(): void {
    if (this.duration[0] < 0) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.');
      this.endTime = [this.startTime[0], this.startTime[1]];
      this.duration = [0, 0];
    }
    if (this.droppedEventsCount > 0)
      diag.warn(`Dropped ${this.droppedEventsCount} events because eventCountLimit reached`);
    if (this.droppedLinksCount > 0)
      diag.warn(`Dropped ${this.droppedLinksCount} links because linkCountLimit reached`);
    this.#processor.onEnding?.(this as never);
    this.ended = true;
    this.#processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) {
      this.addEvent('exception', attributes, time);
    } else {
      diag.warn(`Failed to record an exception ${String(exception)}`);
    }
  }

  #endedWarning(operation: string): boolean {
    if (!this.ended) return false;
    diag.warn(
      `Cannot execute the operation on ended Span {traceId: ${this.#spanContext.traceId}, spanId: ${this.#spanContext.spanId}}: ${operation}`,
    );
    return true;
  }

  /** A time for an event or the end: given by the caller, or the start plus the monotonic clock. */
  #time(input: TimeInput | undefined): HrTime {
    if (typeof input === 'number') {
      // A number no later than performance.now() is a performance timestamp; otherwise epoch ms.
      return millisToHrTime(input <= performance.now() ? input + this.#performanceOffset : input);
    }
    if (input instanceof Date) return millisToHrTime(input.getTime());
    if (input !== undefined && isTimeInputHrTime(input)) return input;
    if (this.#startTimeProvided) return millisToHrTime(Date.now());
    return addHrTimes(this.startTime, millisToHrTime(performance.now() - this.#performanceStart));
  }

  #truncate(value: AttributeValue): AttributeValue {
    const limit = this.#limits.attributeValueLengthLimit;
    if (limit === Number.POSITIVE_INFINITY || limit <= 0) return value;
    if (typeof value === 'string') return value.length > limit ? value.slice(0, limit) : value;
    if (Array.isArray(value))
      return value.map((item) =>
        typeof item === 'string' && item.length > limit ? item.slice(0, limit) : item,
      ) as AttributeValue;
    return value;
  }

  #limitedAttributes(
    attributes: Attributes | undefined,
    countLimit: number,
  ): { attributes: Attributes; dropped: number } {
    const sanitized = sanitizeAttributes(attributes);
    const kept: Attributes = {};
    let count = 0;
    let dropped = 0;
    for (const key in sanitized) {
      if (!hasOwn.call(sanitized, key)) continue;
      if (count >= countLimit) {
        dropped++;
        continue;
      }
      kept[key] = this.#truncate(sanitized[key] as AttributeValue);
      count++;
    }
    return { attributes: kept, dropped };
  }
}
