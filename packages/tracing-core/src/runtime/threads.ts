import * as workerThreads from 'node:worker_threads';

/**
 * Whether this is one of Node's own threads, such as the one that runs module customization hooks
 * (`module.register`, which our register entry calls for ESM apps). NODE_OPTIONS preloads run there
 * too, yet no application code does: traced there, it would only start an export worker of its own.
 */
export function isNodeInternalThread(): boolean {
  if (workerThreads.isMainThread) return false;
  // Node 22.14 and 23.7 say so; before them, only Node's own workers have no parentPort.
  const flag = (workerThreads as { isInternalThread?: boolean }).isInternalThread;
  return flag ?? workerThreads.parentPort === null;
}
