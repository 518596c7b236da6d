// Profiling aid (not part of the suite): where a server's CPU per request goes by thread — the
// main thread, our export worker, V8's GC helpers — and its page faults per request, read from
// /proc over one load burst. The suite's CPU figure is the process's total, so a cost that moved
// to another thread, or GC that grew, shows here and not in a main-thread profile. Page faults
// are the cost that instruction counts miss: on this machine's VM a fresh page costs about 15 µs
// to fault in (docs/benchmarks.md), and a bare Express server takes more than one a request, in
// its scavenges. Each thread's time in the kernel is shown apart (a server's reads and writes of its
// sockets): a cost there is a change in system calls, which no instruction count sees. Takes
// KEY=VALUE,… configurations, as cpu-probe.mjs does
// (FRAMEWORK=express,VARIANT=ours-100[,NODE=path]), measured one after the other; Linux only.
import { readdirSync, readFileSync } from 'node:fs';
import { parseSpec, routeUrl, serverOptions } from './macro.mjs';
import { here, load, startNode } from './processes.mjs';

const TICK_MICROS = 1e6 / 100; // utime and stime count USER_HZ ticks, 100 a second on Linux

/** CPU ticks and minor page faults so far of each of the process's threads, by "tid name". */
function threadTicks(pid) {
  const threads = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread exited between the listing and the read
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    threads.set(`${tid} ${name}`, {
      ticks: Number(fields[11]) + Number(fields[12]),
      systemTicks: Number(fields[12]),
      faults: Number(fields[7]),
    });
  }
  return threads;
}

const specs = (process.argv.length > 2 ? process.argv.slice(2) : ['FRAMEWORK=express,VARIANT=bare']).map(
  parseSpec,
);
const seconds = Number(process.env.PROBE_SECONDS ?? 8);
const receiver = await startNode(here('./receiver.mjs'), { cpu: 0 });
try {
  for (const spec of specs) await probe(spec);
} finally {
  await receiver.stop();
}

async function probe(spec) {
  const server = await startNode(
    spec.script ?? here('./server.mjs'),
    serverOptions(spec, receiver, '/v1/traces'),
  );
  try {
    const url = routeUrl(server);
    await load(url, 3, { cpu: 0 });
    const before = threadTicks(server.child.pid);
    const { requests } = await load(url, seconds, { cpu: 0 });
    const after = threadTicks(server.child.pid);
    const perRequest = (ticks) => ((ticks * TICK_MICROS) / requests).toFixed(1).padStart(7);
    const faultsPerRequest = (faults) => (faults / requests).toFixed(3).padStart(6);
    const used = [...after]
      .map(([thread, now]) => {
        const earlier = before.get(thread) ?? { ticks: 0, systemTicks: 0, faults: 0 };
        return {
          thread,
          ticks: now.ticks - earlier.ticks,
          systemTicks: now.systemTicks - earlier.systemTicks,
          faults: now.faults - earlier.faults,
        };
      })
      .filter(({ ticks, faults }) => ticks > 0 || faults > 0)
      .sort((a, b) => b.ticks - a.ticks);
    const total = used.reduce((sum, { ticks }) => sum + ticks, 0);
    const faults = used.reduce((sum, thread) => sum + thread.faults, 0);
    console.log(
      `${spec.label}: ${requests} requests, ${perRequest(total)} µs CPU/req in all, ` +
        `${faultsPerRequest(faults)} page faults/req`,
    );
    for (const { thread, ticks, systemTicks, faults: threadFaults } of used)
      console.log(
        `  ${thread.padEnd(24)} ${perRequest(ticks)} µs/req (${perRequest(systemTicks).trim()} in the kernel) ` +
          `${faultsPerRequest(threadFaults)} faults/req`,
      );
  } finally {
    await server.stop();
  }
}
