import {
  contextWithSpan,
  invokeInSpan,
  preserveFunctionIdentity,
  recordError,
  recordRequestError,
  requestState,
} from '@maestro/tracing-core';
import type { ModulesContainer } from '@nestjs/core';
import { context, type Span, trace } from '@opentelemetry/api';

/** Marks wrapped handlers, so a prototype shared by several apps (tests) is wrapped once. */
const WRAPPED = Symbol.for('@maestro/tracing-nest/handler-span');
/** What `@Get()`, `@Post()`… put on a route handler (Nest's PATH_METADATA). */
const ROUTE_PATH_METADATA = 'path';

interface ReflectWithMetadata {
  getOwnMetadata?(key: unknown, target: object): unknown;
}

/** `HttpException` by shape: another copy of `@nestjs/common` may have thrown it. */
function httpStatusOf(error: unknown): number | undefined {
  const getStatus = (error as { getStatus?: unknown } | null)?.getStatus;
  return typeof getStatus === 'function' ? Number(getStatus.call(error)) : undefined;
}

/**
 * An HttpException below 500 is the client's fault and marks nothing; a 5xx or any other error
 * is recorded on the handler span and on the request's SERVER span.
 */
function recordHandlerError(serverSpan: Span) {
  return (span: Span, error: unknown) => {
    const status = httpStatusOf(error);
    if (status !== undefined && status < 500) return;
    recordError(span, error);
    recordRequestError(serverSpan, error);
  };
}

function wrapHandler(controller: string, method: string, original: (...args: never[]) => unknown) {
  const name = `${controller}.${method}`;
  const attributes = { 'code.function.name': name, 'nestjs.controller': controller };
  const wrapped = function (this: unknown) {
    // Forwarding `arguments` avoids allocating a rest array on every request.
    // biome-ignore lint/complexity/noArguments: see above.
    const args = arguments as ArrayLike<unknown>;
    const active = context.active();
    const serverSpan = trace.getSpan(active);
    const state = serverSpan === undefined ? undefined : requestState(serverSpan);
    if (state?.tracer === undefined || !state.span.isRecording()) return original.apply(this, args as never);
    const span = state.tracer.startSpan(name, { attributes }, active);
    const onError = recordHandlerError(state.span);
    return context.with(
      contextWithSpan(active, span),
      invokeInSpan,
      undefined,
      span,
      original,
      this,
      args,
      onError,
    );
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  // Nest reads routes, guards, pipes and Swagger documentation from the handler function itself.
  return preserveFunctionIdentity(original, wrapped);
}

/**
 * Gives every controller route handler a span of its own, child of the request's SERVER span, so
 * a trace shows how much of the request guards, pipes and interceptors took around the handler.
 * Done by wrapping the handlers before Nest registers its routes, rather than with a global
 * interceptor: any interceptor switches Nest to its RxJS pipeline for every request, which cost
 * more than the whole rest of the tracing (see docs/benchmarks.md).
 */
export function wrapControllerHandlers(modules: ModulesContainer): void {
  const reflect = Reflect as unknown as ReflectWithMetadata;
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const prototype = (wrapper.metatype as { prototype?: object } | null)?.prototype;
      if (prototype === undefined) continue;
      const controller = (wrapper.metatype as { name: string }).name;
      for (const key of Object.getOwnPropertyNames(prototype)) {
        if (key === 'constructor') continue;
        const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
        const handler = descriptor?.value as ((...args: never[]) => unknown) & { [WRAPPED]?: boolean };
        if (typeof handler !== 'function' || handler[WRAPPED]) continue;
        if (reflect.getOwnMetadata?.(ROUTE_PATH_METADATA, handler) === undefined) continue;
        descriptor!.value = wrapHandler(controller, key, handler);
        Object.defineProperty(prototype, key, descriptor!);
      }
    }
  }
}
