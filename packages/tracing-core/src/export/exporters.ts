import { diag } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { JsonTraceSerializer as JsonSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ResolvedTracingConfig } from '../config/resolve.ts';
import { dependency } from '../runtime/dependencies.ts';
import { OtlpProtobufWorkerExporter, OtlpWorkerExporter } from './worker-exporter.ts';

/**
 * A second export may start while an abandoned (timed-out) one is still on the wire; beyond that
 * the OTLP exporter refuses at once instead of opening more sockets against a dead collector.
 */
const OTLP_CONCURRENCY_LIMIT = 2;

export function createSpanExporter(config: ResolvedTracingConfig): SpanExporter {
  if (config.spanExporter !== undefined) return config.spanExporter;
  switch (config.exporter) {
    case 'otlp':
      return createOtlpExporter(config.otlp);
    case 'jaeger':
      return new LegacyJaegerExporter(config);
    case 'console':
      return new (dependency('@opentelemetry/sdk-trace-base').ConsoleSpanExporter)();
    case 'memory':
      return new (dependency('@opentelemetry/sdk-trace-base').InMemorySpanExporter)();
    case 'none':
      return new DiscardingExporter();
  }
}

function createOtlpExporter(otlp: ResolvedTracingConfig['otlp']): SpanExporter {
  const settings = {
    url: otlp.url,
    headers: { ...otlp.headers },
    timeoutMillis: otlp.timeoutMillis,
    concurrencyLimit: OTLP_CONCURRENCY_LIMIT,
    protocol: otlp.protocol,
  };
  // Protobuf with our one-pass serializer, encoding spans as they end; JSON with the SDK's serializer.
  if (settings.protocol === 'http/json') return new OtlpWorkerExporter(settings, serializeJson);
  return new OtlpProtobufWorkerExporter(settings);
}

let jsonSerializer: typeof JsonSerializer | undefined;

function serializeJson(spans: ReadableSpan[]): Uint8Array {
  // Loaded on first use: the transformer, with the metrics and logs SDKs it pulls in, is about
  // 2.8 MB of heap and 90 modules that only http/json needs on this thread. Each major garbage
  // collection marks the whole live heap again, so what is loaded and never used costs time on a
  // busy server, not only memory.
  jsonSerializer ??= dependency('@opentelemetry/otlp-transformer').JsonTraceSerializer;
  const body = jsonSerializer.serializeRequest(spans);
  if (body === undefined) throw new Error('the spans could not be serialised as OTLP JSON');
  return body;
}

class DiscardingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

let jaegerDeprecationShown = false;

/**
 * `@opentelemetry/exporter-jaeger` is deprecated upstream and an optional peer of ours: it is
 * imported only when asked for, on the first export, so nobody else pays for it. If it is not
 * installed, spans go to OTLP on the same host instead of being lost.
 */
class LegacyJaegerExporter implements SpanExporter {
  readonly #delegate: Promise<SpanExporter>;

  constructor(config: ResolvedTracingConfig) {
    const { host, port } = config.jaeger;
    if (!jaegerDeprecationShown) {
      jaegerDeprecationShown = true;
      diag.warn(
        'The Jaeger exporter is deprecated upstream and Jaeger accepts OTLP natively. Equivalent: ' +
          `OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://${host}:4318`,
      );
    }
    this.#delegate = import('@opentelemetry/exporter-jaeger').then(
      ({ JaegerExporter }) => new JaegerExporter({ host, port }) as unknown as SpanExporter,
      (error: unknown) => {
        diag.error(
          `OTEL_TRACES_EXPORTER=jaeger needs the optional package @opentelemetry/exporter-jaeger (${String(error)}); ` +
            `exporting OTLP to http://${host}:4318 instead.`,
        );
        return createOtlpExporter({ ...config.otlp, url: `http://${host}:4318/v1/traces` });
      },
    );
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#delegate.then(
      (exporter) => exporter.export(spans, done),
      (error: Error) => done({ code: ExportResultCode.FAILED, error }),
    );
  }

  async shutdown(): Promise<void> {
    await (await this.#delegate).shutdown();
  }

  async forceFlush(): Promise<void> {
    await (await this.#delegate).forceFlush?.();
  }
}
