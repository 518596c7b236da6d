// process.nextTick's cost in a fresh process and after idle full collections, with and without
// tracing configured, on each Node given: see the child script for what one process measures.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { here, median } from '../processes.mjs';

const child = here('./micro/next-tick-child.mjs');
const run = promisify(execFile);

export async function runNextTickBench({ nodes, processes, ticks }) {
  const rows = [];
  for (const node of nodes) {
    const version = (await run(node, ['--version'])).stdout.trim();
    const runs = { bare: [], configured: [] };
    // Alternated, so a slow spell of the machine falls on both setups alike.
    for (let i = 0; i < processes; i++) {
      for (const setup of Object.keys(runs)) {
        const { stdout } = await run(node, ['--expose-gc', child], {
          env: {
            PATH: process.env.PATH,
            CONFIGURE: setup === 'configured' ? '1' : '0',
            TICKS: String(ticks),
          },
          timeout: 120_000,
        });
        runs[setup].push(JSON.parse(stdout));
      }
    }
    for (const [setup, measured] of Object.entries(runs)) {
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
