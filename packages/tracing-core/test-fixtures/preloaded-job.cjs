// A CommonJS job traced with NODE_OPTIONS="--require @maestro/tracing-core/register": two spans,
// each flushed on its own, so the export worker serves two exports; then it stays up a moment, as a
// service would, long enough for anything traced inside the worker to be exported too.
const { configureTracing, traceSpan } = require('@maestro/tracing-core');

const tracing = configureTracing();
traceSpan('load_features', () => {});
tracing
  .forceFlush()
  .then(() => {
    traceSpan('retrain_model', () => {});
    return tracing.forceFlush();
  })
  .then(() => setTimeout(() => process.stdout.write('flushed\n'), 500));
