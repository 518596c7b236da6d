import type { TracerProvider } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { ResolvedTracingConfig } from './config/resolve.ts';
import { dependency } from './runtime/dependencies.ts';

/**
 * Turns on the official instrumentations for what a request calls out to, loading only those
 * switched on. The HTTP one is client-only: incoming requests belong to our framework adapters,
 * and a second SERVER span per request would double every trace. Returns a function that switches
 * them off again.
 */
export function enableInstrumentations(
  switches: ResolvedTracingConfig['instrumentations'],
  tracerProvider: TracerProvider,
): () => void {
  const instrumentations: Instrumentation[] = [];
  if (switches.http) {
    const { HttpInstrumentation } = dependency('@opentelemetry/instrumentation-http');
    instrumentations.push(
      new HttpInstrumentation({
        disableIncomingRequestInstrumentation: true,
        requireParentforOutgoingSpans: false,
      }),
    );
  }
  if (switches.undici) {
    const { UndiciInstrumentation } = dependency('@opentelemetry/instrumentation-undici');
    instrumentations.push(new UndiciInstrumentation());
  }
  if (switches.pg) {
    const { PgInstrumentation } = dependency('@opentelemetry/instrumentation-pg');
    instrumentations.push(new PgInstrumentation({ requireParentSpan: true }));
  }
  if (switches.ioredis) {
    const { IORedisInstrumentation } = dependency('@opentelemetry/instrumentation-ioredis');
    instrumentations.push(new IORedisInstrumentation({ requireParentSpan: true }));
  }
  if (instrumentations.length === 0) return () => {};
  const { registerInstrumentations } = dependency('@opentelemetry/instrumentation');
  return registerInstrumentations({ instrumentations, tracerProvider });
}
