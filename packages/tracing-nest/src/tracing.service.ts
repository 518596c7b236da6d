import {
  activeSpan,
  addSpanEvent,
  getDefaultMetricsRegistry,
  type LogTraceContext,
  logContext,
  type MetricsRegistry,
  recordSpanError,
  setSpanAttributes,
  traceSpan,
} from '@maestro/tracing-core';
import { Inject, Injectable } from '@nestjs/common';
import type { Attributes, Span } from '@opentelemetry/api';
import { TRACING_MODULE_OPTIONS } from './tokens.ts';
import type { TracingModuleOptions } from './types.ts';

/**
 * The tracing helpers as an injectable, for code that prefers DI to imports.
 *
 * @example
 * constructor(private readonly tracing: TracingService) {}
 * …
 * this.tracing.setAttributes({ 'model.id': id });
 * this.trained.inc({ framework: 'pytorch' }); // trained = tracing.metrics.counter({ … })
 */
export class TracingService {
  /** The registry behind `/metrics`: declare business metrics on it. */
  readonly metrics: MetricsRegistry;

  constructor(options: TracingModuleOptions) {
    const configured = typeof options.metrics === 'object' ? options.metrics.registry : undefined;
    this.metrics = configured ?? getDefaultMetricsRegistry();
  }

  /** The active span (the handler's, inside a controller); non-recording outside one. */
  currentSpan(): Span {
    return activeSpan();
  }

  setAttributes(attributes: Attributes): void {
    setSpanAttributes(attributes);
  }

  addEvent(name: string, attributes?: Attributes): void {
    addSpanEvent(name, attributes);
  }

  recordError(error: unknown): void {
    recordSpanError(error);
  }

  /** Runs `fn` in a child span; see `traceSpan` in `@maestro/tracing-core`. */
  traceSpan<T>(name: string, attributes: Attributes | undefined, fn: (span: Span) => T): T {
    return traceSpan(name, attributes, fn);
  }

  /** `trace_id`/`span_id` for log lines. */
  logContext(): LogTraceContext {
    return logContext();
  }
}

Injectable()(TracingService);
Inject(TRACING_MODULE_OPTIONS)(TracingService, undefined, 0);
