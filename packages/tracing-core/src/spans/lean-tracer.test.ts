import { decodeTraceRequest } from '@maestro/test-support';
import {
  type Attributes,
  type Context,
  context,
  createTraceState,
  ROOT_CONTEXT,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { hrTimeDuration, suppressTracing } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanLimits,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { LeanTracer, setFreshAttributes } from './lean-tracer.ts';

const resource = resourceFromAttributes({ 'service.name': 'model-registry' });
const scope = { name: '@maestro/tracing-core' };

/** The SDK's tracer and ours, built from the same sampler, limits and resource, each with its own exporter. */
function tracers(sampler: Sampler = new AlwaysOnSampler(), spanLimits: SpanLimits = {}) {
  const sdkExporter = new InMemorySpanExporter();
  const sdk = new BasicTracerProvider({
    resource,
    sampler,
    spanLimits,
    spanProcessors: [new SimpleSpanProcessor(sdkExporter)],
  }).getTracer(scope.name);
  const leanExporter = new InMemorySpanExporter();
  const lean = new LeanTracer({
    sampler,
    processor: new SimpleSpanProcessor(leanExporter),
    resource,
    scope,
    spanLimits,
  });
  return {
    sdk,
    lean,
    sdkSpans: () => sdkExporter.getFinishedSpans(),
    leanSpans: () => leanExporter.getFinishedSpans(),
  };
}

/** Everything an exporter reads from a span except its random ids and clock readings. */
function comparable(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    traceFlags: span.spanContext().traceFlags,
    traceState: span.spanContext().traceState?.serialize(),
    hasParent: span.parentSpanContext !== undefined,
    attributes: span.attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map(({ name, attributes, droppedAttributesCount }) => ({
      name,
      attributes,
      droppedAttributesCount,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map(({ attributes, droppedAttributesCount, context: linked }) => ({
      attributes,
      droppedAttributesCount,
      spanId: linked.spanId,
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: span.status,
    ended: span.ended,
    resource: span.resource.attributes,
    scope: span.instrumentationScope.name,
  };
}

/** One error for both tracers: its stack trace is part of the exception event. */
const notFound = new TypeError('model not found');

/** One script of span operations a service might perform, run against a tracer. */
function script(tracer: Tracer, parent: Context): void {
  const linked = trace.wrapSpanContext({
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
  });
  const root = tracer.startSpan(
    'GET /models/:id',
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'GET', 'url.path': '/models/m42' },
      links: [{ context: linked.spanContext(), attributes: { 'link.reason': 'batch', other: 1 } }],
    },
    parent,
  );
  root.setAttribute('model.id', 'resnet-50-with-a-long-name');
  root.setAttribute('tags', ['vision', 'production-ready']);
  root.setAttribute('', 'empty key is refused');
  root.setAttribute('bad', { nested: true } as never);
  root.setAttribute('mixed', [1, 'two'] as never);
  root.setAttribute('nothing', undefined as never);
  root.setAttributes({ 'http.route': '/models/:id', 'http.response.status_code': 200, cached: false });
  root.addEvent('cache_miss', { 'cache.key': 'models:m42', 'cache.backend': 'redis' });
  root.addEvent('first_byte', 1_700_000_000_000);
  root.addEvent('checkpoint_saved', { epoch: 50 }, new Date(1_700_000_000_500));
  root.recordException(notFound);
  root.recordException('plain string failure');
  root.recordException({ code: 'ECONNRESET', message: 'socket hang up' });
  root.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never });
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
  root.updateName('GET /models/:id (renamed)');

  const child = tracer.startSpan('db.query', { kind: SpanKind.CLIENT }, trace.setSpan(parent, root));
  child.setStatus({ code: SpanStatusCode.OK });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'OK is final' });
  child.end();

  root.end();
  root.setAttribute('after.end', true);
  root.addEvent('after_end');
  root.end();
}

describe('LeanTracer exports what the SDK Tracer exports', () => {
  it('for the same operations: attributes, events, exceptions, links, status rules, names', () => {
    const { sdk, lean, sdkSpans, leanSpans } = tracers();
    script(sdk, ROOT_CONTEXT);
    script(lean, ROOT_CONTEXT);
    expect(leanSpans().map(comparable)).toEqual(sdkSpans().map(comparable));
    const [child, root] = leanSpans();
    expect(root!.attributes['model.id']).toBe('resnet-50-with-a-long-name');
    expect(root!.events.map((event) => event.name)).toEqual([
      'cache_miss',
      'first_byte',
      'checkpoint_saved',
      'exception',
      'exception',
      'exception',
    ]);
    expect(child!.parentSpanContext?.spanId).toBe(root!.spanContext().spanId);
    expect(child!.spanContext().traceId).toBe(root!.spanContext().traceId);
  });

  it('under span limits: counts, value lengths, dropped events and links', () => {
    const limits: SpanLimits = {
      attributeCountLimit: 4,
      attributeValueLengthLimit: 8,
      eventCountLimit: 2,
      attributePerEventCountLimit: 1,
      linkCountLimit: 1,
      attributePerLinkCountLimit: 1,
    };
    const { sdk, lean, sdkSpans, leanSpans } = tracers(new AlwaysOnSampler(), limits);
    script(sdk, ROOT_CONTEXT);
    script(lean, ROOT_CONTEXT);
    expect(leanSpans().map(comparable)).toEqual(sdkSpans().map(comparable));
    const root = leanSpans()[1]!;
    expect(root.droppedAttributesCount).toBeGreaterThan(0);
    expect(root.droppedEventsCount).toBe(4);
    expect(root.attributes['model.id']).toBe('resnet-5');
  });

  it('takes a fresh attributes object whole only where copying it would leave the same span', () => {
    const valid = (): Attributes => ({
      'url.scheme': 'http',
      'server.port': 8080,
      'user_agent.original': 'autocannon/8.0.0',
      'http.request.header.accept': ['application/json'],
      cached: false,
    });
    const invalid = (): Attributes => ({
      ...valid(),
      '': 'empty key is refused',
      nested: { deep: true } as never,
      missing: undefined,
      mixed: [1, 'two'] as never,
    });
    const cases: Array<[SpanLimits, () => Attributes]> = [
      [{}, valid],
      [{}, invalid],
      [{ attributeCountLimit: 4 }, valid],
      [{ attributeValueLengthLimit: 5 }, valid],
    ];
    for (const [limits, fresh] of cases) {
      const { sdk, lean, sdkSpans, leanSpans } = tracers(new AlwaysOnSampler(), limits);
      const start = { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'url.path': '/m' } };
      const sdkSpan = sdk.startSpan('GET', start, ROOT_CONTEXT);
      sdkSpan.setAttributes(fresh());
      sdkSpan.setAttribute('http.route', '/models/:id');
      sdkSpan.end();
      const leanSpan = lean.startSpan('GET', start, ROOT_CONTEXT);
      const attributes = fresh();
      setFreshAttributes(leanSpan, attributes);
      leanSpan.setAttribute('http.route', '/models/:id');
      leanSpan.end();
      expect(leanSpans().map(comparable)).toEqual(sdkSpans().map(comparable));
      // Taken whole with the default limits and valid values, copied otherwise.
      const adopted = (leanSpans()[0] as ReadableSpan).attributes === attributes;
      expect(adopted).toBe(
        fresh === valid &&
          limits.attributeCountLimit === undefined &&
          limits.attributeValueLengthLimit === undefined,
      );
    }
    // Attributes set at start plus the fresh ones past the count limit: copied, so the limit holds.
    {
      const { sdk, lean, sdkSpans, leanSpans } = tracers(new AlwaysOnSampler());
      const numbered = (prefix: string, count: number): Attributes =>
        Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}.${i}`, i]));
      const start = { attributes: numbered('start', 100) };
      const sdkSpan = sdk.startSpan('many', start, ROOT_CONTEXT);
      sdkSpan.setAttributes(numbered('fresh', 40));
      sdkSpan.end();
      const leanSpan = lean.startSpan('many', start, ROOT_CONTEXT);
      setFreshAttributes(leanSpan, numbered('fresh', 40));
      leanSpan.end();
      expect(Object.keys(leanSpans()[0]!.attributes)).toHaveLength(128);
      expect(leanSpans().map(comparable)).toEqual(sdkSpans().map(comparable));
    }
    // Not our span (an SDK one, or another copy of this package's): copied as setAttributes does.
    const { sdk, sdkSpans } = tracers();
    const span = sdk.startSpan('GET');
    setFreshAttributes(span, valid());
    span.end();
    expect(sdkSpans()[0]!.attributes).toEqual(valid());
  });

  it('continues a remote parent, keeps its trace state, and honours root: true', () => {
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('vendor=abc'),
      isRemote: true,
    });
    const { sdk, lean, sdkSpans, leanSpans } = tracers();
    for (const tracer of [sdk, lean]) {
      tracer.startSpan('continued', {}, remote).end();
      tracer.startSpan('fresh root', { root: true }, remote).end();
    }
    expect(leanSpans().map(comparable)).toEqual(sdkSpans().map(comparable));
    const [continued, fresh] = leanSpans();
    expect(continued!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(continued!.parentSpanContext).toMatchObject({ spanId: 'b7ad6b7169203331', isRemote: true });
    expect(continued!.spanContext().traceState?.get('vendor')).toBe('abc');
    expect(fresh!.spanContext().traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(fresh!.parentSpanContext).toBeUndefined();
  });

  it('nests under its own spans, and starts a new trace under a parent whose ids are not valid', () => {
    const malformed = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'not-a-trace-id-at-all-0123456789',
      spanId: '0000000000000000',
      traceFlags: TraceFlags.SAMPLED,
    });
    const { sdk, lean, sdkSpans, leanSpans } = tracers();
    for (const tracer of [sdk, lean]) {
      const parent = tracer.startSpan('GET /models/:id');
      tracer.startSpan('ModelsController.findOne', {}, trace.setSpan(ROOT_CONTEXT, parent)).end();
      parent.end();
      tracer.startSpan('under a malformed parent', {}, malformed).end();
    }
    expect(leanSpans().map(comparable)).toEqual(sdkSpans().map(comparable));
    const [child, parent, orphan] = leanSpans();
    expect(child!.spanContext().traceId).toBe(parent!.spanContext().traceId);
    expect(child!.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
    expect(orphan!.parentSpanContext).toBeUndefined();
    expect(orphan!.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('follows the sampler: dropped, recorded only, sampled with its attributes and trace state', () => {
    const decisions = [
      SamplingDecision.NOT_RECORD,
      SamplingDecision.RECORD,
      SamplingDecision.RECORD_AND_SAMPLED,
    ];
    let call = 0;
    const sampler: Sampler = {
      shouldSample: (): SamplingResult => ({
        decision: decisions[call++ % 3]!,
        attributes: { 'sampler.rule': 'every-third' },
        traceState: createTraceState('sampler=on'),
      }),
      toString: () => 'EveryThird',
    };
    const { lean, leanSpans } = tracers(sampler);
    const dropped = lean.startSpan('dropped');
    const recordedOnly = lean.startSpan('recorded only');
    const sampled = lean.startSpan('sampled');
    expect(dropped.isRecording()).toBe(false);
    expect(dropped.spanContext().traceFlags).toBe(TraceFlags.NONE);
    expect(trace.isSpanContextValid(dropped.spanContext())).toBe(true);
    expect(recordedOnly.isRecording()).toBe(true);
    expect(recordedOnly.spanContext().traceFlags).toBe(TraceFlags.NONE);
    expect(sampled.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
    for (const span of [dropped, recordedOnly, sampled]) span.end();
    // Only sampled spans reach the exporter, as with the SDK's processors.
    expect(leanSpans().map((span) => span.name)).toEqual(['sampled']);
    expect(leanSpans()[0]!.attributes).toEqual({ 'sampler.rule': 'every-third' });
    expect(leanSpans()[0]!.spanContext().traceState?.get('sampler')).toBe('on');
  });

  it('starts nothing under suppressed tracing (our own export requests)', () => {
    const { lean, leanSpans } = tracers();
    const span = lean.startSpan('export', {}, suppressTracing(ROOT_CONTEXT));
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    span.end();
    expect(leanSpans()).toHaveLength(0);
  });

  it('times spans from the wall clock and measures them with the monotonic one', async () => {
    const { lean, leanSpans } = tracers();
    const before = Date.now();
    const span = lean.startSpan('timed');
    const after = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    span.end();
    lean.startSpan('given times', { startTime: new Date(1_700_000_000_000) }).end(1_700_000_000_250);
    const [timed, given] = leanSpans();
    const startMs = timed!.startTime[0] * 1000 + timed!.startTime[1] / 1e6;
    // The start comes from the process's wall-clock offset, not from a Date.now() of its own: it is
    // within a millisecond of the true time, and Date.now() is floored to the millisecond, so the
    // start may read a fraction of a millisecond before a Date.now() taken just before it.
    expect(startMs).toBeGreaterThan(before - 1);
    expect(startMs).toBeLessThan(after + 2);
    const durationMs = timed!.duration[0] * 1000 + timed!.duration[1] / 1e6;
    expect(durationMs).toBeGreaterThanOrEqual(19);
    expect(durationMs).toBeLessThan(1000);
    // The end is the start plus the duration, both in normalised [seconds, nanoseconds] pairs.
    expect(timed!.duration[1]).toBeLessThan(1e9);
    expect(timed!.endTime[1]).toBeLessThan(1e9);
    expect(hrTimeDuration(timed!.startTime, timed!.endTime)).toEqual(timed!.duration);
    expect(given!.startTime).toEqual([1_700_000_000, 0]);
    expect(given!.duration).toEqual([0, 250_000_000]);
  });

  it('keeps each span its own events, links and status, though spans start with shared empty ones', () => {
    const { lean, leanSpans } = tracers();
    const open = lean.startSpan('still running') as unknown as ReadableSpan;
    // What the SDK span reports before it ends.
    expect(open.endTime).toEqual([0, 0]);
    expect(open.duration).toEqual([-1, -1]);
    expect(open.status).toEqual({ code: SpanStatusCode.UNSET });

    const withEvent = lean.startSpan('with event');
    withEvent.addEvent('cache.miss');
    withEvent.end();
    const withLink = lean.startSpan('with link');
    withLink.addLink({ context: withEvent.spanContext() });
    withLink.end();
    const failed = lean.startSpan('failed');
    failed.setStatus({ code: SpanStatusCode.ERROR, message: 'model not found' });
    failed.end();
    const plain = lean.startSpan('plain');
    plain.end();

    const byName = new Map(leanSpans().map((span) => [span.name, span]));
    expect(byName.get('with event')!.events.map((event) => event.name)).toEqual(['cache.miss']);
    expect(byName.get('with event')!.links).toEqual([]);
    expect(byName.get('with link')!.links).toEqual([{ context: withEvent.spanContext() }]);
    expect(byName.get('with link')!.events).toEqual([]);
    expect(byName.get('failed')!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'model not found' });
    const untouched = byName.get('plain')!;
    expect(untouched.events).toEqual([]);
    expect(untouched.links).toEqual([]);
    expect(untouched.status).toEqual({ code: SpanStatusCode.UNSET });
    expect(untouched.duration[0] * 1e9 + untouched.duration[1]).toBeGreaterThanOrEqual(0);
    // The span still running saw none of what the others wrote.
    expect(open.events).toEqual([]);
    expect(open.links).toEqual([]);
    expect(open.status).toEqual({ code: SpanStatusCode.UNSET });
    expect(open.endTime).toEqual([0, 0]);
  });

  it('gives startActiveSpan its span as the active one, in each call form', () => {
    context.setGlobalContextManager(
      new (class {
        #active: Context = ROOT_CONTEXT;
        active = () => this.#active;
        with = <A extends unknown[], F extends (...args: A) => ReturnType<F>>(
          ctx: Context,
          fn: F,
          thisArg?: ThisParameterType<F>,
          ...args: A
        ) => {
          const previous = this.#active;
          this.#active = ctx;
          try {
            return fn.call(thisArg, ...args);
          } finally {
            this.#active = previous;
          }
        };
        bind = <T>(_ctx: Context, target: T) => target;
        enable = () => this;
        disable = () => this;
      })(),
    );
    try {
      const { lean } = tracers();
      const attributes: Attributes = { form: 'options' };
      const seen = [
        lean.startActiveSpan('two', (span) => trace.getActiveSpan() === span && span.end() === undefined),
        lean.startActiveSpan('three', { attributes }, (span) => trace.getActiveSpan() === span),
        lean.startActiveSpan('four', {}, ROOT_CONTEXT, (span) => trace.getActiveSpan() === span),
      ];
      expect(seen).toEqual([true, true, true]);
    } finally {
      context.disable();
    }
  });

  it('serialises to OTLP exactly as the SDK span does, byte for byte once ids and times agree', () => {
    const { sdk, lean, sdkSpans, leanSpans } = tracers();
    script(sdk, ROOT_CONTEXT);
    script(lean, ROOT_CONTEXT);
    // Give both the same ids and clock readings; everything else must already be equal.
    const align = (spans: ReadableSpan[]) =>
      spans.map((span, index) => {
        const ids = { traceId: `${index + 1}`.padStart(32, '0'), spanId: `${index + 1}`.padStart(16, '0') };
        return {
          ...comparable(span),
          spanContext: () => ({ ...span.spanContext(), ...ids }),
          parentSpanContext:
            span.parentSpanContext === undefined ? undefined : { ...span.parentSpanContext, ...ids },
          startTime: [1, 0],
          endTime: [2, 0],
          duration: [1, 0],
          events: span.events.map((event) => ({ ...event, time: [1, 5] })),
          links: span.links,
          resource: span.resource,
          instrumentationScope: span.instrumentationScope,
        } as unknown as ReadableSpan;
      });
    const fromSdk = ProtobufTraceSerializer.serializeRequest(align(sdkSpans()))!;
    const fromLean = ProtobufTraceSerializer.serializeRequest(align(leanSpans()))!;
    expect(Buffer.from(fromLean).equals(Buffer.from(fromSdk))).toBe(true);
    expect(decodeTraceRequest(fromLean).map((span) => span.name)).toEqual([
      'db.query',
      'GET /models/:id (renamed)',
    ]);
  });
});
