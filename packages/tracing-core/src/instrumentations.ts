import type { TracerProvider } from '@opentelemetry/api';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { ResolvedTracingConfig } from './config/resolve.ts';

/**
 * Turns on the official instrumentations for what a request calls out to. The HTTP one is
 * client-only: incoming requests belong to our framework adapters, and a second SERVER span per
 * request would double every trace. Returns a function that switches them off again.
 */
export function enableInstrumentations(
  switches: ResolvedTracingConfig['instrumentations'],
  tracerProvider: TracerProvider,
): () => void {
  const instrumentations: Instrumentation[] = [];
  if (switches.http) {
    instrumentations.push(
      new HttpInstrumentation({
        disableIncomingRequestInstrumentation: true,
        requireParentforOutgoingSpans: false,
      }),
    );
  }
  if (switches.undici) instrumentations.push(new UndiciInstrumentation());
  if (switches.pg) instrumentations.push(new PgInstrumentation({ requireParentSpan: true }));
  if (switches.ioredis) instrumentations.push(new IORedisInstrumentation({ requireParentSpan: true }));
  if (instrumentations.length === 0) return () => {};
  return registerInstrumentations({ instrumentations, tracerProvider });
}
