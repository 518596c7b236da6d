import { type Context, context, diag, TraceFlags } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ExportStats } from '../types.ts';

export interface BoundedBatchConfig {
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMillis: number;
  readonly exportTimeoutMillis: number;
}

/** Spans encoded as they are added; what an {@link EncodingSpanExporter} sends. */
export interface SpanBatch {
  /** Encodes one span; throws, leaving the batch as it was, when the span cannot be encoded. */
  add(span: ReadableSpan): void;
  readonly count: number;
}

/**
 * An exporter that encodes spans as they end, so that a batch waiting for its turn is bytes rather
 * than span objects (see {@link BoundedBatchSpanProcessor}).
 */
export interface EncodingSpanExporter<B extends SpanBatch = SpanBatch> extends SpanExporter {
  newBatch(): B;
  exportBatch(batch: B, done: (result: ExportResult) => void): void;
}

function isEncodingExporter(exporter: SpanExporter): exporter is EncodingSpanExporter {
  const candidate = exporter as Partial<EncodingSpanExporter>;
  return typeof candidate.newBatch === 'function' && typeof candidate.exportBatch === 'function';
}

/** Where batches come from and go to: the processor's one path, whichever kind of exporter it has. */
type BatchSink = Pick<EncodingSpanExporter, 'newBatch' | 'exportBatch'>;

/** A batch of the span objects themselves, for an exporter that takes ReadableSpan[]. */
class SpanObjectBatch implements SpanBatch {
  readonly spans: ReadableSpan[] = [];
  add(span: ReadableSpan): void {
    this.spans.push(span);
  }
  get count(): number {
    return this.spans.length;
  }
}

function batchSinkOf(exporter: SpanExporter): BatchSink {
  if (isEncodingExporter(exporter)) return exporter;
  return {
    newBatch: () => new SpanObjectBatch(),
    exportBatch: (batch, done) => exporter.export((batch as SpanObjectBatch).spans, done),
  };
}

/**
 * A batch span processor whose memory is bounded by its queue, whatever the collector does.
 *
 * The SDK's BatchSpanProcessor starts a new export whenever a batch fills, without waiting for the
 * previous one; against a refused or slow collector the exports pile up in parallel (seen with SDK
 * 2.12: 1, 2, 4 … 30 in flight, RSS +90 MB a minute), each holding its spans and request buffers.
 * Here at most one export is in flight: while it runs, spans wait in the queue, and once the queue
 * is full new spans are dropped and counted. Nothing on the request path ever waits for export.
 *
 * With an {@link EncodingSpanExporter} (our OTLP/protobuf exporter) each span is encoded when it
 * ends and the queue holds bytes: a span object then dies young instead of living until its batch
 * is sent — up to `scheduledDelayMillis` at a low request rate, and a full queue's worth for as
 * long as a collector is down — long enough to be promoted to the old generation and traced there.
 */
export class BoundedBatchSpanProcessor implements SpanProcessor {
  readonly #exporter: SpanExporter;
  readonly #sink: BatchSink;
  readonly #config: BoundedBatchConfig;
  /** Full batches waiting (each of maxExportBatchSize spans), oldest first. */
  #full: SpanBatch[] = [];
  /** The batch new spans go into. */
  #filling: SpanBatch | undefined;
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #isShutdown = false;
  #exported = 0;
  #dropped = 0;
  #failed = 0;

  constructor(exporter: SpanExporter, config: BoundedBatchConfig) {
    this.#exporter = exporter;
    this.#sink = batchSinkOf(exporter);
    this.#config = config;
  }

  /** Spans waiting to be sent. */
  get #queued(): number {
    return this.#full.length * this.#config.maxExportBatchSize + (this.#filling?.count ?? 0);
  }

  stats(): ExportStats {
    return {
      exported: this.#exported,
      dropped: this.#dropped,
      failed: this.#failed,
      queued: this.#queued,
    };
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#isShutdown || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#queued >= this.#config.maxQueueSize) {
      this.#dropped++;
      return;
    }
    if (!this.#add(span)) return;
    if (this.#queued >= this.#config.maxExportBatchSize) this.#exportNow();
    else this.#scheduleExport();
  }

  /** Adds the span to the batch being filled; a span that cannot be encoded is counted as failed. */
  #add(span: ReadableSpan): boolean {
    const batch = this.#filling ?? this.#sink.newBatch();
    this.#filling = batch;
    try {
      batch.add(span);
    } catch (error) {
      this.#failed++;
      diag.warn(`span "${span.name}" could not be encoded and is lost: ${describe(error)}`);
      return false;
    }
    if (batch.count >= this.#config.maxExportBatchSize) {
      this.#full.push(batch);
      this.#filling = undefined;
    }
    return true;
  }

  /** The next batch to send, taken off the queue. */
  #takeBatch(): SpanBatch | undefined {
    const batch = this.#full.shift() ?? this.#filling;
    if (batch === this.#filling) this.#filling = undefined;
    return batch === undefined || batch.count === 0 ? undefined : batch;
  }

  forceFlush(): Promise<void> {
    return this.#drain();
  }

  async shutdown(): Promise<void> {
    if (this.#isShutdown) return;
    this.#isShutdown = true;
    clearTimeout(this.#timer);
    await this.#drain();
    await this.#exporter.shutdown();
  }

  #scheduleExport(): void {
    if (this.#timer !== undefined || this.#inFlight !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#exportNow();
    }, this.#config.scheduledDelayMillis);
    // A pending export must never keep a finished process alive.
    this.#timer.unref();
  }

  #exportNow(): void {
    if (this.#inFlight !== undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight = this.#exportOneBatch().finally(() => {
      this.#inFlight = undefined;
      if (this.#queued >= this.#config.maxExportBatchSize) this.#exportNow();
      else if (this.#queued > 0) this.#scheduleExport();
    });
  }

  /** Exports until the queue is empty, one batch at a time. */
  async #drain(): Promise<void> {
    while (this.#inFlight !== undefined || this.#queued > 0) {
      if (this.#inFlight === undefined) this.#exportNow();
      await this.#inFlight;
    }
  }

  #exportOneBatch(): Promise<void> {
    const batch = this.#takeBatch();
    if (batch === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = (ok: boolean, reason?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        if (ok) this.#exported += batch.count;
        else {
          this.#failed += batch.count;
          diag.warn(`span export failed, ${batch.count} spans lost: ${describe(reason)}`);
        }
        resolve();
      };
      const timeout = setTimeout(
        () => settle(false, `timed out after ${this.#config.exportTimeoutMillis} ms`),
        this.#config.exportTimeoutMillis,
      );
      timeout.unref();
      // Suppressed so that the HTTP client instrumentation does not trace our own export request.
      context.with(suppressTracing(context.active()), () => {
        try {
          this.#sink.exportBatch(batch, (result) =>
            settle(result.code === ExportResultCode.SUCCESS, result.error),
          );
        } catch (error) {
          settle(false, error);
        }
      });
    });
  }
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return String(reason ?? 'unknown error');
}
