// A service that has configured tracing and not yet ended a span (still starting up, say): it waits
// until a preload run in each thread (record-preload.cjs) has logged the export worker, then exits.
const { readFileSync } = require('node:fs');
const { configureTracing } = require('@maestro/tracing-core');

configureTracing({
  serviceName: 'model-registry',
  instrumentations: { http: false, undici: false, pg: false, ioredis: false },
});
const deadline = Date.now() + 10_000;
const poll = setInterval(() => {
  const threads = readFileSync(process.env.PRELOAD_LOG, 'utf8')
    .split('\n')
    .map((line) => line.split(' #')[0]);
  if (threads.includes('export worker') || Date.now() > deadline) {
    clearInterval(poll);
    process.stdout.write(`${JSON.stringify({ threads: threads.filter(Boolean) })}\n`);
  }
}, 20);
