import { createRequire } from 'node:module';

/**
 * The dependencies only live tracing needs, loaded where they are first used instead of at
 * import. A service with tracing disabled then never loads the SDK, its resources, the context
 * manager, the B3 and Jaeger propagators or the instrumentations (2 MB of heap, kept for the
 * process's life and marked again by every major collection), and one with tracing on loads only
 * the instrumentations it switched on. Each of these packages resolves to its CommonJS build from
 * an `import` too (none offers Node an ESM build through an `exports` map), so a `require` here
 * gives the same module instances that the user's own imports of them do.
 */
interface LoadedWhenNeeded {
  '@opentelemetry/sdk-trace-base': typeof import('@opentelemetry/sdk-trace-base');
  '@opentelemetry/resources': typeof import('@opentelemetry/resources');
  '@opentelemetry/context-async-hooks': typeof import('@opentelemetry/context-async-hooks');
  '@opentelemetry/propagator-b3': typeof import('@opentelemetry/propagator-b3');
  '@opentelemetry/propagator-jaeger': typeof import('@opentelemetry/propagator-jaeger');
  '@opentelemetry/instrumentation': typeof import('@opentelemetry/instrumentation');
  '@opentelemetry/instrumentation-http': typeof import('@opentelemetry/instrumentation-http');
  '@opentelemetry/instrumentation-undici': typeof import('@opentelemetry/instrumentation-undici');
  '@opentelemetry/instrumentation-pg': typeof import('@opentelemetry/instrumentation-pg');
  '@opentelemetry/instrumentation-ioredis': typeof import('@opentelemetry/instrumentation-ioredis');
  '@opentelemetry/otlp-transformer': typeof import('@opentelemetry/otlp-transformer');
}

const requireHere = createRequire(import.meta.url);

/** The named dependency, loaded on the first call; later calls get Node's cached module. */
export function dependency<Name extends keyof LoadedWhenNeeded>(name: Name): LoadedWhenNeeded[Name] {
  return requireHere(name) as LoadedWhenNeeded[Name];
}
