// A short-lived job: it ends a span and asks for a flush twice, and nothing else of its own keeps
// the process alive. The second export goes to an export worker that is already running and idle;
// both must still go out, and the process must then exit by itself.

import { configureTracing, traceSpan } from '@maestro/tracing-core';

const tracing = configureTracing({
  serviceName: 'cleanup-job',
  instrumentations: { http: false, undici: false, pg: false, ioredis: false },
});
traceSpan('purge_expired_models', () => {});
tracing.forceFlush().then(() => {
  setImmediate(() => {
    traceSpan('compact_registry', () => {});
    tracing.forceFlush().then(() => process.stdout.write('flushed\n'));
  });
});
