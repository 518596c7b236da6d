import { context, type Tracer, trace } from '@opentelemetry/api';
import { dependency } from '../runtime/dependencies.ts';

/** The instrumentation scope our own spans are reported under. */
export const INSTRUMENTATION_SCOPE = '@maestro/tracing-core';

type TracerSource =
  | { readonly kind: 'global' }
  | { readonly kind: 'disabled' }
  | { readonly kind: 'provider'; readonly tracer: Tracer };

/**
 * Which tracer the span helpers use. Until `configureTracing` (or a test) says otherwise, the
 * helpers follow OpenTelemetry's global provider, so they also work in apps set up by other means.
 * 'disabled' lets every helper skip straight to the wrapped function.
 */
let source: TracerSource = { kind: 'global' };

export function currentTracer(): Tracer | undefined {
  switch (source.kind) {
    case 'provider':
      return source.tracer;
    case 'disabled':
      return undefined;
    case 'global':
      return trace.getTracer(INSTRUMENTATION_SCOPE);
  }
}

/** Installs a tracer (or `undefined` for disabled) and returns a function that restores the previous one. */
export function useTracer(tracer: Tracer | undefined): () => void {
  const previous = source;
  source = tracer === undefined ? { kind: 'disabled' } : { kind: 'provider', tracer };
  return () => {
    source = previous;
  };
}

let contextManagerInstalled = false;

/**
 * Context propagation across `await`, timers and callbacks needs an AsyncLocalStorage context
 * manager; without one every span would be a root. Installed once per process.
 */
export function ensureContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = true;
  const { AsyncLocalStorageContextManager } = dependency('@opentelemetry/context-async-hooks');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}
