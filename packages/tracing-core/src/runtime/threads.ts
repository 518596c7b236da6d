import * as workerThreads from 'node:worker_threads';
import { isExportWorker } from '../export/worker-exporter.ts';

/**
 * Whether this is one of Node's own threads, such as the one that runs module customization hooks
 * (`module.register`, which our register entry calls for ESM apps). NODE_OPTIONS preloads run there
 * too, yet no application code does: traced there, it would only start an export worker of its own.
 */
function isNodeInternalThread(): boolean {
  if (workerThreads.isMainThread) return false;
  // Node 22.14 and 23.7 say so; before them, only Node's own workers have no parentPort.
  const flag = (workerThreads as { isInternalThread?: boolean }).isInternalThread;
  return flag ?? workerThreads.parentPort === null;
}

/**
 * Whether tracing must stay off in this thread whatever a preload asks: our OTLP export worker and
 * Node's own threads, which `NODE_OPTIONS` preloads reach as they reach the main thread.
 */
export function isUntracedThread(): boolean {
  return isExportWorker() || isNodeInternalThread();
}
