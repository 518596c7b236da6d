// Preloaded through NODE_OPTIONS after the register entry: records each thread it runs in (the
// main thread, our export worker, or another, such as the one running the ESM loader hooks) and
// whether tracing is on there, so a test can show the preloads reach every thread and where they
// leave tracing off.
const { appendFileSync } = require('node:fs');
const { isMainThread, threadId, workerData } = require('node:worker_threads');
const { getTracing } = require('@maestro/tracing-core');

const thread = isMainThread
  ? 'main'
  : workerData?.['@maestro/tracing-core/export-worker'] === true
    ? 'export worker'
    : 'other worker';
// The thread id tells a replaced export worker (a new id) from a preload run twice in one thread.
const tracing = getTracing()?.enabled ? 'traced' : 'untraced';
appendFileSync(process.env.PRELOAD_LOG, `${thread} #${threadId} ${tracing}\n`);
