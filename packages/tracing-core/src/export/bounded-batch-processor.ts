import { type Context, context, diag, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ExportStats } from '../types.ts';

export interface BoundedBatchConfig {
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMillis: number;
  readonly exportTimeoutMillis: number;
}

/**
 * A batch span processor whose memory is bounded by its queue, whatever the collector does.
 *
 * The SDK's BatchSpanProcessor starts a new export whenever a batch fills, without waiting for the
 * previous one; against a refused or slow collector the exports pile up in parallel (seen with SDK
 * 2.12: 1, 2, 4 … 30 in flight, RSS +90 MB a minute), each holding its spans and request buffers.
 * Here at most one export is in flight: while it runs, spans wait in the queue, and once the queue
 * is full new spans are dropped and counted. Nothing on the request path ever waits for export.
 */
export class BoundedBatchSpanProcessor implements SpanProcessor {
  readonly #exporter: SpanExporter;
  readonly #config: BoundedBatchConfig;
  #queue: ReadableSpan[] = [];
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #isShutdown = false;
  #exported = 0;
  #dropped = 0;
  #failed = 0;

  constructor(exporter: SpanExporter, config: BoundedBatchConfig) {
    this.#exporter = exporter;
    this.#config = config;
  }

  stats(): ExportStats {
    return {
      exported: this.#exported,
      dropped: this.#dropped,
      failed: this.#failed,
      queued: this.#queue.length,
    };
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#isShutdown || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#queue.length >= this.#config.maxQueueSize) {
      this.#dropped++;
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.#config.maxExportBatchSize) this.#exportNow();
    else this.#scheduleExport();
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
      if (this.#queue.length >= this.#config.maxExportBatchSize) this.#exportNow();
      else if (this.#queue.length > 0) this.#scheduleExport();
    });
  }

  /** Exports until the queue is empty, one batch at a time. */
  async #drain(): Promise<void> {
    while (this.#inFlight !== undefined || this.#queue.length > 0) {
      if (this.#inFlight === undefined) this.#exportNow();
      await this.#inFlight;
    }
  }

  #exportOneBatch(): Promise<void> {
    const batch = this.#queue.splice(0, this.#config.maxExportBatchSize);
    if (batch.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = (ok: boolean, reason?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        if (ok) this.#exported += batch.length;
        else {
          this.#failed += batch.length;
          diag.warn(`span export failed, ${batch.length} spans lost: ${describe(reason)}`);
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
          this.#exporter.export(batch, (result) =>
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
