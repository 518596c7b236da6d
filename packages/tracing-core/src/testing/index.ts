import type { Tracer, TracerProvider } from '@opentelemetry/api';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { setCurrentTracing, startTracing, type TracingRuntime } from '../setup.ts';
import type { TracingOptions } from '../types.ts';

/** Options of {@link createTestTracing}: any tracing option, plus a sampler that defaults to always-on. */
export type TestTracingOptions = Omit<TracingOptions, 'exporter' | 'spanExporter' | 'registerGlobal'>;

/** A tracing setup for tests: spans land synchronously in memory, nothing global is registered. */
export interface TestTracing {
  readonly tracing: TracingRuntime;
  readonly tracer: Tracer;
  readonly tracerProvider: TracerProvider;
  readonly exporter: InMemorySpanExporter;
  /** Spans finished so far, oldest first. */
  spans(): ReadableSpan[];
  /** The finished span with this name; throws with the names seen when there is none. */
  span(name: string): ReadableSpan;
  /** Resolves once `count` spans have finished (a server span ends after the client got its response). */
  waitForSpans(count: number, timeoutMillis?: number): Promise<ReadableSpan[]>;
  /** Forgets the spans finished so far. */
  reset(): void;
  /** Uninstalls this setup and restores whatever was active before. */
  shutdown(): Promise<void>;
}

/**
 * The seed's pytest fixture, for vitest and Jest: an in-memory exporter behind a synchronous
 * processor, installed for the span helpers and adapters without touching OpenTelemetry's
 * global provider, so every test can create and drop its own.
 *
 * @example
 * const testing = createTestTracing();
 * afterEach(() => testing.reset());
 * afterAll(() => testing.shutdown());
 * // … make a request …
 * expect(testing.span('GET /models/:id').attributes['http.route']).toBe('/models/:id');
 */
export function createTestTracing(options: TestTracingOptions = {}): TestTracing {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing(
    {
      serviceName: 'test-service',
      sampler: new AlwaysOnSampler(),
      instrumentations: { http: false, undici: false, pg: false, ioredis: false },
      logLevel: 'warn',
      env: {},
      ...options,
      spanExporter: exporter,
      registerGlobal: false,
    },
    (spanExporter) => new SimpleSpanProcessor(spanExporter),
  );
  const previous = setCurrentTracing(tracing);

  return {
    tracing,
    tracer: tracing.tracer,
    tracerProvider: tracing.tracerProvider,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    span(name) {
      const found = exporter.getFinishedSpans().find((span) => span.name === name);
      if (found === undefined) {
        const seen = exporter.getFinishedSpans().map((span) => span.name);
        throw new Error(`no finished span named "${name}"; finished: ${JSON.stringify(seen)}`);
      }
      return found;
    },
    async waitForSpans(count, timeoutMillis = 2000) {
      const deadline = Date.now() + timeoutMillis;
      while (exporter.getFinishedSpans().length < count) {
        if (Date.now() > deadline) {
          const seen = exporter.getFinishedSpans().map((span) => span.name);
          throw new Error(
            `expected ${count} finished spans within ${timeoutMillis} ms, got ${JSON.stringify(seen)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return exporter.getFinishedSpans();
    },
    reset: () => exporter.reset(),
    async shutdown() {
      setCurrentTracing(previous);
      await tracing.shutdown();
    },
  };
}

export type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
