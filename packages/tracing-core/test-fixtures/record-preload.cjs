// Preloaded through NODE_OPTIONS: records each thread it runs in (the main thread, our export
// worker, or another, such as the ESM loader's), so a test can show the export worker gets it too.
const { appendFileSync } = require('node:fs');
const { isMainThread, threadId, workerData } = require('node:worker_threads');

const thread = isMainThread
  ? 'main'
  : workerData?.['@maestro/tracing-core/export-worker'] === true
    ? 'export worker'
    : 'other worker';
// The thread id tells a replaced export worker (a new id) from a preload run twice in one thread.
appendFileSync(process.env.PRELOAD_LOG, `${thread} #${threadId}\n`);
