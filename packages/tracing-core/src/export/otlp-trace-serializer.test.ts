import { decodeTraceRequest } from '@maestro/test-support';
import {
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { LeanTracer, type RandomIdWords } from '../spans/lean-tracer.ts';
import { serializeTraceRequest, spareBuffers, TraceRequestEncoder } from './otlp-trace-serializer.ts';

/** Spans as services produce them: two resources, two scopes, SDK and lean spans mixed. */
function recordSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  const registry = resourceFromAttributes({
    'service.name': 'model-registry',
    'service.version': '2.0.0',
    'deployment.environment.name': 'staging',
  });
  const gateway = resourceFromAttributes({ 'service.name': 'gateway-ü', 'host.cpu.count': 2 });
  const sdk = new BasicTracerProvider({ resource: registry, spanProcessors: [processor] }).getTracer(
    'pg-instrumentation',
    '0.75.0',
  );
  const lean = new LeanTracer({
    sampler: new AlwaysOnSampler(),
    processor,
    resource: gateway,
    scope: { name: '@maestro/tracing-core', schemaUrl: 'https://opentelemetry.io/schemas/1.37.0' },
    spanLimits: {},
  });
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0AF7651916CD43DD8448EB211C80319C'.toLowerCase(),
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    traceState: createTraceState('vendor=abc,other=x'),
    isRemote: true,
  });
  const server = lean.startSpan(
    'GET /models/:id',
    {
      kind: SpanKind.SERVER,
      links: [{ context: trace.getSpanContext(remote)!, attributes: { 'link.reason': 'retry' } }],
    },
    remote,
  );
  server.setAttributes({
    'http.request.method': 'GET',
    'url.path': '/models/ünïcødé/😀',
    'url.query': 'q='.padEnd(200, 'x'),
    'user_agent.original': 'Mozilla/5.0 '.repeat(30),
    'http.response.status_code': 200,
    'server.port': 65535,
    'big.int': 2 ** 40 + 7,
    'negative.int': -42,
    'max.int': 2 ** 62,
    ratio: 0.125,
    'not.a.number': Number.NaN,
    infinite: Number.POSITIVE_INFINITY,
    cached: false,
    'http.request.header.accept': ['application/json', 'text/plain'],
    'numbers.mixed': [1, 2.5, -3],
    flags: [true, false],
    'empty.string': '',
    'empty.array': [],
  });
  server.addEvent('slow_request', { duration_ms: 1234, threshold_ms: 1000 });
  server.recordException(new Error('boom — ünïcødé'));
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
  const query = sdk.startSpan('SELECT models', { kind: SpanKind.CLIENT }, trace.setSpan(remote, server));
  query.setAttribute('db.query.text', 'SELECT * FROM models WHERE id = $1');
  query.setStatus({ code: SpanStatusCode.OK });
  query.end();
  lean.startSpan('internal', { kind: SpanKind.INTERNAL }).end();
  sdk.startSpan('no kind recorded', {}).end();
  server.end();
  return exporter.getFinishedSpans();
}

/** Our tracer for one service, sampling everything, into an in-memory exporter. */
function leanTracer(service: string) {
  const exporter = new InMemorySpanExporter();
  const tracer = new LeanTracer({
    sampler: new AlwaysOnSampler(),
    processor: new SimpleSpanProcessor(exporter),
    resource: resourceFromAttributes({ 'service.name': service }),
    scope: { name: service },
    spanLimits: {},
  });
  return { exporter, tracer };
}

/** `span` with a status getter that throws: encoding fails after its attributes are written. */
function throwingOnStatus(span: ReadableSpan, message: string): ReadableSpan {
  return {
    ...span,
    spanContext: () => span.spanContext(),
    get status(): never {
      throw new Error(message);
    },
  } as unknown as ReadableSpan;
}

describe('the one-pass OTLP/protobuf serializer', () => {
  it('writes exactly the bytes the SDK serializer writes', () => {
    const spans = recordSpans();
    expect(spans).toHaveLength(4);
    const ours = serializeTraceRequest(spans);
    const sdk = ProtobufTraceSerializer.serializeRequest(spans)!;
    expect(Buffer.from(ours).equals(Buffer.from(sdk))).toBe(true);
  });

  it("writes our spans' ids from their random bytes exactly as the SDK writes them from their hex, across refills of the pool", () => {
    const exporter = new InMemorySpanExporter();
    const lean = new LeanTracer({
      sampler: new AlwaysOnSampler(),
      processor: new SimpleSpanProcessor(exporter),
      resource: resourceFromAttributes({ 'service.name': 'model-registry' }),
      scope: { name: '@maestro/tracing-core' },
      spanLimits: {},
    });
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    // 6 000 requests of three spans take about 190 KiB of random bytes, three refills of the 64 KiB
    // pool: each id's words must be those of its own bytes, whatever was refilled since.
    for (let i = 0; i < 6000; i++) {
      const root = lean.startSpan('root', { kind: SpanKind.SERVER });
      lean.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
      root.end();
      lean.startSpan('continued', { kind: SpanKind.SERVER }, remote).end();
    }
    const spans = exporter.getFinishedSpans();
    const words = (span: ReadableSpan) => span as ReadableSpan & Partial<RandomIdWords>;
    // Only a trace that came from elsewhere is written from its hex.
    expect(spans.filter((span) => words(span).traceIdWords !== true)).toHaveLength(6000);
    expect(spans.every((span) => words(span).spanIdWords === true)).toBe(true);
    for (let at = 0; at < spans.length; at += 3000) {
      const batch = spans.slice(at, at + 3000);
      const sdk = Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!);
      expect(Buffer.from(serializeTraceRequest(batch)).equals(sdk)).toBe(true);
    }
  });

  it('decodes with the official schema to the same spans, ids and attributes', () => {
    const spans = recordSpans();
    const decoded = decodeTraceRequest(serializeTraceRequest(spans));
    const server = decoded.find((span) => span.name === 'GET /models/:id')!;
    const source = spans.find((span) => span.name === 'GET /models/:id')!;
    expect(server.traceId).toBe(source.spanContext().traceId);
    expect(server.spanId).toBe(source.spanContext().spanId);
    expect(server.parentSpanId).toBe('b7ad6b7169203331');
    expect(server.kind).toBe(SpanKind.SERVER + 1);
    expect(server.attributes['url.path']).toBe('/models/ünïcødé/😀');
    expect(server.attributes['big.int']).toBe(2 ** 40 + 7);
    expect(server.attributes['negative.int']).toBe(-42);
    expect(server.attributes['http.request.header.accept']).toEqual(['application/json', 'text/plain']);
    expect(server.resource['service.name']).toBe('gateway-ü');
    expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
    expect(server.events.map((event) => event.name)).toEqual(['slow_request', 'exception']);
    const query = decoded.find((span) => span.name === 'SELECT models')!;
    expect(query.parentSpanId).toBe(server.spanId);
    expect(query.scope).toBe('pg-instrumentation');
  });

  it('stays exact when a message outgrows the length it reserved (a 3 MB attribute, a full batch)', () => {
    const { exporter, tracer } = leanTracer('bulk');
    tracer.startSpan('huge', { attributes: { payload: 'é'.repeat(1_500_000) } }).end();
    for (let i = 0; i < 512; i++) tracer.startSpan(`span ${i}`, { attributes: { i } }).end();
    const spans = exporter.getFinishedSpans();
    const ours = serializeTraceRequest(spans);
    expect(Buffer.from(ours).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!))).toBe(
      true,
    );
    expect(decodeTraceRequest(ours)).toHaveLength(513);
  });

  it('writes map values (KeyValueList) as the SDK does, for exporters fed by other tracers', () => {
    const source = recordSpans()[0]!;
    const withMap = {
      ...source,
      spanContext: () => source.spanContext(),
      attributes: { ...source.attributes, 'model.config': { layers: 50, 'weights.format': 'safetensors' } },
    } as unknown as ReadableSpan;
    const ours = serializeTraceRequest([withMap]);
    expect(Buffer.from(ours).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest([withMap])!))).toBe(
      true,
    );
  });

  it('writes an empty request for no spans', () => {
    expect(serializeTraceRequest([])).toHaveLength(0);
  });

  it('encodes span by span, as spans end, to the bytes of the whole batch at once', () => {
    // Two resources and two scopes, interleaved: the encoder groups them as the SDK does.
    const spans = recordSpans();
    const interleaved = [spans[3]!, spans[0]!, spans[2]!, spans[1]!, spans[0]!];
    const encoder = new TraceRequestEncoder();
    for (const span of interleaved) encoder.add(span);
    expect(encoder.count).toBe(5);
    const sdk = ProtobufTraceSerializer.serializeRequest(interleaved)!;
    expect(Buffer.from(encoder.finish()).equals(Buffer.from(sdk))).toBe(true);
  });

  it('copies a key and value that repeat from span to span, never a stale or reused copy', () => {
    const { exporter, tracer } = leanTracer('repeats');
    const statuses = [200, 200, 200, 404, 200, 200];
    for (let i = 0; i < 12; i++) {
      tracer
        .startSpan(`span ${i}`, {
          attributes: {
            'http.request.method': i < 5 ? 'GET' : 'POST',
            'http.response.status_code': statuses[i % statuses.length]!,
            'url.path': `/models/m${i % 2}`,
            'at.limit': 'x'.repeat(128),
            'over.limit': 'y'.repeat(129),
            zero: i % 2 === 0 ? 0 : -0,
            'not.a.number': Number.NaN,
            flag: i % 4 < 2,
            // Grows the encoder's buffer past its first size mid-batch.
            ...(i === 7 ? { payload: 'é'.repeat(20_000) } : {}),
          },
        })
        .end();
    }
    const spans = exporter.getFinishedSpans();
    const sdk = (batch: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!);
    expect(Buffer.from(serializeTraceRequest(spans)).equals(sdk(spans))).toBe(true);
    for (const span of spans)
      expect(Buffer.from(serializeTraceRequest([span])).equals(sdk([span]))).toBe(true);

    // A span that fails after its attributes are written gives its bytes back to the next span:
    // what was kept of it must be a copy.
    const [first, second, third] = spans;
    const failing = throwingOnStatus(first!, 'fails after its attributes');
    const encoder = new TraceRequestEncoder();
    encoder.add(first!);
    expect(() => encoder.add(failing)).toThrow('fails after its attributes');
    encoder.add(second!);
    encoder.add(third!);
    expect(Buffer.from(encoder.finish()).equals(sdk([first!, second!, third!]))).toBe(true);
  });

  it('lends each batch its request in memory the batches before it used, exact while other batches fill', () => {
    const { exporter, tracer } = leanTracer('reuse');
    for (let i = 0; i < 60; i++)
      tracer.startSpan(`span ${i}`, { attributes: { 'url.path': `/models/m${i}`, i } }).end();
    const spans = exporter.getFinishedSpans();
    const sdk = (batch: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!);
    // A batch still filling holds its memory through every other batch's request.
    const filling = new TraceRequestEncoder();
    const fillingSpans = [spans[0]!, ...recordSpans()];
    for (const span of fillingSpans.slice(0, 3)) filling.add(span);
    const memories = new Set<ArrayBufferLike>();
    for (let batch = 0; batch < 10; batch++) {
      const encoder = new TraceRequestEncoder();
      const batchSpans = spans.slice(batch * 6, batch * 6 + 6);
      for (const span of batchSpans) encoder.add(span);
      let lent = Buffer.alloc(0);
      encoder.lend((request) => {
        memories.add(request.buffer);
        lent = Buffer.from(request);
      });
      expect(lent.equals(sdk(batchSpans))).toBe(true);
    }
    // Ten requests, two buffers: the batch's spans and its request, handed from batch to batch.
    expect(memories.size).toBeLessThanOrEqual(2);
    for (const span of fillingSpans.slice(3)) filling.add(span);
    expect(Buffer.from(filling.finish()).equals(sdk(fillingSpans))).toBe(true);
  });

  it('keeps at most 8 buffers for the next batches, however many scopes a batch has', () => {
    // Each scope's spans fill a buffer of their own.
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    for (let i = 0; i < 20; i++) provider.getTracer(`instrumentation-${i}`).startSpan('query').end();
    const encoder = new TraceRequestEncoder();
    for (const span of exporter.getFinishedSpans()) encoder.add(span);
    encoder.lend(() => {});
    expect(spareBuffers().count).toBe(8);
  });

  it('gives up its smallest spares first, so a large batch finds its buffers again', () => {
    // Spares full of small buffers (the test before), then a 3 MB batch: its 4 MiB span buffer and
    // its 3 MB request are kept in their place.
    expect(spareBuffers().count).toBe(8);
    const { exporter, tracer } = leanTracer('large batch');
    tracer.startSpan('bulk', { attributes: { payload: 'x'.repeat(3_000_000) } }).end();
    const encoder = new TraceRequestEncoder();
    encoder.add(exporter.getFinishedSpans()[0]!);
    encoder.lend(() => {});
    expect(spareBuffers().count).toBe(8);
    expect(spareBuffers().bytes).toBeGreaterThan(7_000_000);
  });

  it('encodes spans added after its request was built as a new request, taking a spare and giving back none', () => {
    const [first, second] = recordSpans();
    const encoder = new TraceRequestEncoder();
    encoder.add(first!);
    encoder.finish();
    const spares = spareBuffers().count;
    expect(spares).toBeGreaterThan(0);
    // The same resource and scope: it goes on in the group whose buffer went back to the spares.
    encoder.add(first!);
    expect(spareBuffers().count).toBe(spares - 1);
    encoder.add(second!);
    const sdk = ProtobufTraceSerializer.serializeRequest([first!, second!])!;
    expect(Buffer.from(encoder.finish()).equals(Buffer.from(sdk))).toBe(true);
  });

  it('keeps at most 8 MiB for the next batches, whatever the size of the ones before', () => {
    const { exporter, tracer } = leanTracer('huge batches');
    for (const megabytes of [5, 3, 9, 1, 6])
      tracer.startSpan('bulk', { attributes: { payload: 'x'.repeat(megabytes * 1_000_000) } }).end();
    const memories = new Set<ArrayBufferLike>();
    for (const span of exporter.getFinishedSpans()) {
      const encoder = new TraceRequestEncoder();
      encoder.add(span);
      encoder.lend((request) => {
        memories.add(request.buffer);
      });
      expect(spareBuffers().bytes).toBeGreaterThan(0);
      expect(spareBuffers().bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    }
    expect(memories.size).toBeGreaterThan(1);
  });

  it('leaves a span that cannot be encoded out, and the spans around it intact', () => {
    const [first, second] = recordSpans();
    const hostile = throwingOnStatus(first!, 'a getter that throws');
    const encoder = new TraceRequestEncoder();
    encoder.add(first!);
    expect(() => encoder.add(hostile)).toThrow('a getter that throws');
    encoder.add(second!);
    expect(encoder.count).toBe(2);
    const sdk = ProtobufTraceSerializer.serializeRequest([first!, second!])!;
    expect(Buffer.from(encoder.finish()).equals(Buffer.from(sdk))).toBe(true);
  });
});
