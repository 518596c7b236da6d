import { createServer } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startOtlpReceiver } from '@maestro/test-support';
import { type Context, ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { BoundedBatchSpanProcessor } from './bounded-batch-processor.ts';
import { OtlpProtobufWorkerExporter } from './worker-exporter.ts';

/** Counts how many exports are on the wire at once. */
class CountingExporter implements SpanExporter {
  inFlight = 0;
  maxInFlight = 0;
  calls = 0;
  constructor(private readonly delegate: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.delegate.export(spans, (result) => {
      this.inFlight--;
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.delegate.shutdown();
  }
}

/** A TCP port on 127.0.0.1 with nothing listening: connections are refused at once. */
async function refusedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function endSpans(provider: BasicTracerProvider, count: number, parent: Context = ROOT_CONTEXT): void {
  const tracer = provider.getTracer('load');
  for (let i = 0; i < count; i++)
    tracer.startSpan(`span-${i}`, { attributes: { i, payload: 'x'.repeat(200) } }, parent).end();
}

const config = {
  maxQueueSize: 256,
  maxExportBatchSize: 64,
  scheduledDelayMillis: 5,
  exportTimeoutMillis: 2000,
};

describe('BoundedBatchSpanProcessor', () => {
  it('keeps one export in flight and a bounded queue while the collector refuses connections', async () => {
    const port = await refusedPort();
    const exporter = new CountingExporter(
      new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 500 }),
    );
    const processor = new BoundedBatchSpanProcessor(exporter, config);
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });

    const deadline = Date.now() + 1500;
    let ended = 0;
    while (Date.now() < deadline) {
      endSpans(provider, 200);
      ended += 200;
      expect(processor.stats().queued).toBeLessThanOrEqual(config.maxQueueSize);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await processor.forceFlush();
    const stats = processor.stats();
    expect(exporter.maxInFlight).toBe(1);
    expect(stats.exported).toBe(0);
    // Every span is accounted for: dropped at the door or lost with a failed export.
    expect(stats.dropped + stats.failed).toBe(ended);
    await provider.shutdown();
  });

  it('drops and counts new spans, rather than growing, while the collector hangs', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const { port } = silent.address() as { port: number };
    const exporter = new CountingExporter(
      new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 300 }),
    );
    const processor = new BoundedBatchSpanProcessor(exporter, { ...config, exportTimeoutMillis: 400 });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    let ended = 0;
    const deadline = Date.now() + 1200;
    while (Date.now() < deadline) {
      endSpans(provider, 100);
      ended += 100;
      expect(processor.stats().queued).toBeLessThanOrEqual(config.maxQueueSize);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await processor.forceFlush();
    const stats = processor.stats();
    expect(exporter.maxInFlight).toBe(1);
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.exported + stats.dropped + stats.failed).toBe(ended);
    for (const socket of sockets) socket.destroy();
    silent.close();
  });

  it('gives up on an export that hangs after exportTimeoutMillis and keeps going', async () => {
    const hanging: SpanExporter = { export: () => {}, shutdown: async () => {} };
    const processor = new BoundedBatchSpanProcessor(hanging, { ...config, exportTimeoutMillis: 50 });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    endSpans(provider, 10);
    const started = Date.now();
    await processor.forceFlush();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(processor.stats()).toMatchObject({ failed: 10, queued: 0 });
  });

  it('exports everything, in batches, when the collector is healthy; nothing unsampled', async () => {
    const receiver = await startOtlpReceiver();
    const processor = new BoundedBatchSpanProcessor(new OTLPTraceExporter({ url: receiver.url }), config);
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    endSpans(provider, 200);
    const unsampled = provider.getTracer('x').startSpan('unsampled');
    (unsampled.spanContext() as { traceFlags: number }).traceFlags = TraceFlags.NONE;
    unsampled.end();
    await processor.forceFlush();
    expect(processor.stats()).toEqual({ exported: 200, dropped: 0, failed: 0, queued: 0 });
    expect(receiver.spans()).toHaveLength(200);
    expect(receiver.requests.length).toBeGreaterThanOrEqual(Math.ceil(200 / config.maxExportBatchSize));
    expect(Math.max(...receiver.requests.map((r) => r.spans.length))).toBeLessThanOrEqual(
      config.maxExportBatchSize,
    );
    await provider.shutdown();
    await receiver.close();
  });

  it('exports on the schedule without a flush, and never after shutdown', async () => {
    const memory = new InMemorySpanExporter();
    const processor = new BoundedBatchSpanProcessor(memory, { ...config, scheduledDelayMillis: 20 });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    endSpans(provider, 3);
    expect(memory.getFinishedSpans()).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(memory.getFinishedSpans()).toHaveLength(3);
    await provider.shutdown();
    endSpans(provider, 3);
    expect(processor.stats().queued).toBe(0);
  });

  it('counts an exporter that throws as a failed export instead of crashing', async () => {
    const throwing: SpanExporter = {
      export: () => {
        throw new Error('boom');
      },
      shutdown: async () => {},
    };
    const processor = new BoundedBatchSpanProcessor(throwing, config);
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    endSpans(provider, 5);
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ failed: 5, exported: 0 });
  });

  it('reports a failed result code as failed spans', async () => {
    const failing: SpanExporter = {
      export: (_spans, done) => done({ code: ExportResultCode.FAILED, error: new Error('503') }),
      shutdown: async () => {},
    };
    const processor = new BoundedBatchSpanProcessor(failing, config);
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    endSpans(provider, 7);
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ failed: 7 });
  });
});

/** A full garbage collection, without starting the test runner with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('BoundedBatchSpanProcessor with our OTLP/protobuf exporter, which encodes spans as they end', () => {
  /** A processor exporting to a real OTLP receiver through our encoding exporter, and a provider feeding it. */
  async function encodingPipeline(batchConfig = config) {
    const receiver = await startOtlpReceiver();
    // The first export waits for the export worker thread to start and load the SDK's transport:
    // on a busy 2-core machine that once took longer than 2 s, and the batch counted as failed.
    // Nothing here tests a timeout, so a generous one.
    const exportTimeoutMillis = 15_000;
    const exporter = new OtlpProtobufWorkerExporter({
      url: receiver.url,
      headers: {},
      timeoutMillis: exportTimeoutMillis,
      concurrencyLimit: 2,
    });
    const processor = new BoundedBatchSpanProcessor(exporter, { ...batchConfig, exportTimeoutMillis });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const close = async () => {
      await provider.shutdown();
      await receiver.close();
    };
    return { receiver, processor, provider, close };
  }

  it('holds bytes, not span objects, while a batch waits, and delivers every span', async () => {
    const { receiver, processor, provider, close } = await encodingPipeline({
      ...config,
      scheduledDelayMillis: 60_000,
    });
    // Ended in a function of its own: a suspended async function's frame could keep the last one.
    const endWatched = (): WeakRef<object>[] =>
      Array.from({ length: 50 }, (_, i) => {
        const span = provider
          .getTracer('load')
          .startSpan(`span-${i}`, { attributes: { i, payload: 'x'.repeat(200) } });
        span.end();
        return new WeakRef(span);
      });
    const ended = endWatched();
    expect(processor.stats().queued).toBe(50);
    // A WeakRef holds its target until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    expect(ended.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);

    await processor.forceFlush();
    expect(processor.stats()).toEqual({ exported: 50, dropped: 0, failed: 0, queued: 0 });
    const received = receiver.spans();
    expect(received.map((span) => span.name)).toEqual(Array.from({ length: 50 }, (_, i) => `span-${i}`));
    expect(received[7]!.attributes).toEqual({ i: 7, payload: 'x'.repeat(200) });
    await close();
  });

  it('exports full batches as they fill, bounded by the queue, and counts what it dropped', async () => {
    const { receiver, processor, provider, close } = await encodingPipeline();
    endSpans(provider, 1000);
    expect(processor.stats().queued).toBeLessThanOrEqual(config.maxQueueSize);
    await processor.forceFlush();
    const stats = processor.stats();
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.exported + stats.dropped).toBe(1000);
    expect(receiver.spans()).toHaveLength(stats.exported);
    expect(Math.max(...receiver.requests.map((r) => r.spans.length))).toBe(config.maxExportBatchSize);
    await close();
  });

  it('counts a span it cannot encode as failed and exports the rest of its batch', async () => {
    const { receiver, processor, provider, close } = await encodingPipeline();
    const tracer = provider.getTracer('load');
    tracer.startSpan('before').end();
    const source = tracer.startSpan('hostile');
    const hostile = Object.create(source, {
      attributes: {
        get(): never {
          throw new Error('an attribute getter that throws');
        },
      },
    }) as ReadableSpan;
    processor.onEnd(hostile);
    tracer.startSpan('after').end();
    await processor.forceFlush();
    expect(processor.stats()).toEqual({ exported: 2, dropped: 0, failed: 1, queued: 0 });
    expect(receiver.spans().map((span) => span.name)).toEqual(['before', 'after']);
    await close();
  });
});
