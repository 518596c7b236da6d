import type { ServerResponse } from 'node:http';
import { recordRequestError, requestState } from '@maestro/tracing-core';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import { TRACING_MODULE_OPTIONS, TracingRuntimeHolder } from './tokens.ts';
import type { TracingModuleOptions } from './types.ts';

/** `HttpException` by shape: another copy of `@nestjs/common` may have thrown it. */
function httpStatusOf(error: unknown): number | undefined {
  const getStatus = (error as { getStatus?: unknown } | null)?.getStatus;
  return typeof getStatus === 'function' ? Number(getStatus.call(error)) : undefined;
}

/**
 * Runs each controller handler in a span of its own, child of the request's SERVER span, so a
 * trace shows how much of the request guards, pipes and interceptors took before and after it.
 * Errors: an HttpException below 500 is the client's fault and marks nothing; a 5xx or any other
 * error is recorded on both spans. The error itself always goes on, untouched, to Nest's filters.
 */
export class TracingInterceptor implements NestInterceptor {
  readonly #handlerSpans: boolean;
  readonly #holder: TracingRuntimeHolder;

  constructor(options: TracingModuleOptions, holder: TracingRuntimeHolder) {
    this.#handlerSpans = options.handlerSpans ?? true;
    this.#holder = holder;
  }

  intercept(executionContext: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (executionContext.getType() !== 'http') return next.handle();
    const reply = executionContext.switchToHttp().getResponse<ServerResponse | { raw: ServerResponse }>();
    const response = 'raw' in reply ? reply.raw : reply;
    const state = requestState(response);
    const tracer = this.#holder.lifecycle?.tracing.tracer;
    if (state === undefined || tracer === undefined) return next.handle();

    let span: Span | undefined;
    let handlerContext = state.context;
    if (this.#handlerSpans && state.span.isRecording()) {
      const controller = executionContext.getClass().name;
      const handler = executionContext.getHandler().name;
      span = tracer.startSpan(
        `${controller}.${handler}`,
        { attributes: { 'code.function.name': `${controller}.${handler}`, 'nestjs.controller': controller } },
        state.context,
      );
      handlerContext = trace.setSpan(state.context, span);
    }

    return new Observable<unknown>((subscriber) => {
      let ended = false;
      const end = (error?: unknown) => {
        if (ended) return;
        ended = true;
        if (error !== undefined) {
          const status = httpStatusOf(error);
          if (status === undefined || status >= 500) {
            recordRequestError(response, error);
            if (span !== undefined) {
              span.recordException(error instanceof Error ? error : { message: String(error) });
              span.setStatus({
                code: SpanStatusCode.ERROR,
                message: error instanceof Error ? error.message : String(error),
              });
            }
          }
        }
        span?.end();
      };
      const subscription = context.with(handlerContext, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            end(error);
            subscriber.error(error);
          },
          complete: () => {
            end();
            subscriber.complete();
          },
        }),
      );
      return () => {
        subscription.unsubscribe();
        end();
      };
    });
  }
}

// Applied by hand rather than with decorator syntax: the metadata must not depend on how this
// package's own build compiles decorators.
Injectable()(TracingInterceptor);
Inject(TRACING_MODULE_OPTIONS)(TracingInterceptor, undefined, 0);
Inject(TracingRuntimeHolder)(TracingInterceptor, undefined, 1);
