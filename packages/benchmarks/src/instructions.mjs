// Instructions per request, counted by Valgrind's callgrind, for each framework and variant. Time on
// this machine swings with its other tenants; an instruction count hardly does, so this measures what
// our code adds without pairing. It counts every thread of the server (the export worker, the
// compiler's and the collector's) and, apart, the main thread, where the requests run: the other
// threads' work is real but depends on timing, the main thread's is the request path itself. Only
// instructions: cache misses and memory stalls, which valgrind does not model, are in the throughput
// tables' CPU time instead. Skipped, with a note, where valgrind is not installed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { routeUrl, serverOptions } from './macro.mjs';
import { here, startNode } from './processes.mjs';

const hasValgrind = () => {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    execFileSync('which', ['callgrind_control'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const requestsOf = (url, amount) =>
  new Promise((resolve, reject) =>
    autocannon({ url, amount, connections: 10 }, (error, result) =>
      error ? reject(error) : resolve(result),
    ),
  );

/**
 * A dump's totals by event, in its `events:` order (Ir, the instructions, first), or undefined while
 * callgrind is still writing it: the `totals:` line comes last.
 */
export function eventTotals(file) {
  const dump = readFileSync(file, 'utf8');
  const totals = /^totals:\s+(.*)$/m.exec(dump);
  const names = /^events:\s+(.*)$/m.exec(dump);
  if (totals === null || names === null) return undefined;
  const counts = totals[1].trim().split(/\s+/).map(Number);
  return new Map(
    names[1]
      .trim()
      .split(/\s+/)
      .map((name, index) => [name, counts[index] ?? 0]),
  );
}

const totalOf = (file) => eventTotals(file)?.get('Ir');

/**
 * The instructions of a dump, all threads and the main one. With --separate-threads callgrind
 * writes one file per thread, `<prefix>-01` (the main thread) first; each ends with its `totals:`
 * line once complete, and the dump is read once the set of files stops growing.
 */
async function dumpTotals(dir, prefix, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  while (Date.now() < deadline) {
    const files = readdirSync(dir).filter((name) => name.startsWith(`${prefix}-`));
    const totals = files.map((name) => totalOf(join(dir, name)));
    if (files.length > 0 && files.length === seen && totals.every((total) => total !== undefined)) {
      const main = files.indexOf(`${prefix}-01`);
      if (main === -1) throw new Error(`callgrind wrote no main-thread dump ${prefix}-01`);
      return { all: totals.reduce((sum, total) => sum + total, 0), main: totals[main] };
    }
    seen = files.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`callgrind wrote no complete dump ${prefix}-* in ${dir}`);
}

/**
 * One server under callgrind: warmed up, counters zeroed, `requests` sent, counters dumped. Returns
 * instructions per request, and the server's pid and main-thread dump (left in `dir`) for a probe
 * that reads the dump by function.
 */
export async function countServer(options, { warmup, requests, dir, nodeArgs = [], valgrindArgs = [] }) {
  const server = await startNode(options.script ?? here('./server.mjs'), {
    ...options,
    nodeArgs: [...(options.nodeArgs ?? []), ...nodeArgs],
    // Valgrind runs the process itself (its pid is the server's); taskset would only get in its way.
    cpu: undefined,
    launcher: [
      'valgrind',
      '--tool=callgrind',
      '--separate-threads=yes',
      ...valgrindArgs,
      `--callgrind-out-file=${dir}/cg.%p`,
      `--log-file=${dir}/log.%p`,
    ],
    firstLineTimeoutMs: 300_000,
  });
  const pid = String(server.child.pid);
  try {
    const url = routeUrl(server);
    await requestsOf(url, warmup);
    execFileSync('callgrind_control', ['-z', pid], { stdio: 'ignore' });
    const result = await requestsOf(url, requests);
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
    execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' });
    const { all, main } = await dumpTotals(dir, `cg.${pid}.1`);
    return {
      all: all / result.requests.total,
      main: main / result.requests.total,
      requests: result.requests.total,
      pid,
      mainDump: join(dir, `cg.${pid}.1-01`),
    };
  } finally {
    await server.stop();
  }
}

/**
 * Instructions per request for each framework and variant, `parallel` servers at a time (counts
 * do not depend on what else runs). Returns { skipped } where valgrind is missing.
 */
export async function runInstructions({ frameworks, variants, warmup, requests, parallel = 2 }) {
  if (!hasValgrind()) return { skipped: 'valgrind (with callgrind_control) is not installed' };
  const dir = mkdtempSync(join(tmpdir(), 'maestro-callgrind-'));
  const receiver = await startNode(here('./receiver.mjs'));
  try {
    const jobs = frameworks.flatMap((framework) => variants.map((variant) => ({ framework, variant })));
    const counts = new Map();
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        const spec = { env: { FRAMEWORK: job.framework, VARIANT: job.variant } };
        const options = serverOptions(spec, receiver, `/instructions/${job.framework}/${job.variant}`);
        const count = await countServer(options, { warmup, requests, dir });
        counts.set(`${job.framework}/${job.variant}`, count);
        console.log(
          `  ${job.framework} ${job.variant}: ${Math.round(count.all)} instructions/request, ${Math.round(count.main)} on the main thread`,
        );
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    const rows = jobs.map(({ framework, variant }) => {
      const count = counts.get(`${framework}/${variant}`);
      const bare = counts.get(`${framework}/bare`);
      return {
        framework,
        variant,
        instructionsPerRequest: count.all,
        ratio: bare.all / count.all,
        addedPerRequest: count.all - bare.all,
        mainThreadPerRequest: count.main,
        mainThreadRatio: bare.main / count.main,
        mainThreadAddedPerRequest: count.main - bare.main,
      };
    });
    return { warmup, requests, rows };
  } finally {
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
