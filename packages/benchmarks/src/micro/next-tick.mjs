// process.nextTick's cost in a fresh process and after idle full collections, with and without
// tracing configured, on each Node given: see the child script for what one process measures.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { here, inFreshProcesses, median } from '../processes.mjs';

const child = here('./micro/next-tick-child.mjs');
const run = promisify(execFile);

export async function runNextTickBench({ nodes, processes, ticks }) {
  const rows = [];
  for (const node of nodes) {
    const version = (await run(node, ['--version'])).stdout.trim();
    const setups = ['bare', 'configured'];
    const printed = await inFreshProcesses({
      child,
      envs: setups.map((setup) => ({ CONFIGURE: setup === 'configured' ? '1' : '0', TICKS: String(ticks) })),
      processes,
      node,
      timeoutMs: 120_000,
    });
    for (const [index, setup] of setups.entries()) {
      const measured = printed[index];
      rows.push({
        node: version,
        setup: setup === 'bare' ? 'nothing loaded' : 'configureTracing (tracing disabled)',
        freshNs: median(measured.map((run) => run.fresh)),
        afterIdleNs: median(measured.map((run) => run.afterIdle)),
        // Within one process, so the machine's swings cancel out.
        ratio: median(measured.map((run) => run.afterIdle / run.fresh)),
        awaitChainNs: median(measured.map((run) => run.awaitChain)),
      });
    }
  }
  return rows;
}
