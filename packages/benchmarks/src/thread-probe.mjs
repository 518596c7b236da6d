// Profiling aid (not part of the suite): where one server's CPU per request goes by thread — the
// main thread, our export worker, V8's GC helpers — read from /proc over one load burst. The
// suite's CPU figure is the process's total, so a cost that moved to another thread, or GC that
// grew, shows here and not in a main-thread profile. Takes one KEY=VALUE,… configuration, as
// cpu-probe.mjs does (FRAMEWORK=express,VARIANT=ours-100[,NODE=path]); Linux only.
import { readdirSync, readFileSync } from 'node:fs';
import { parseSpec, routeUrl, serverOptions } from './macro.mjs';
import { here, load, startNode } from './processes.mjs';

const TICK_MICROS = 1e6 / 100; // utime and stime count USER_HZ ticks, 100 a second on Linux

/** CPU ticks so far of each of the process's threads, by "tid name". */
function threadTicks(pid) {
  const ticks = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread exited between the listing and the read
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks.set(`${tid} ${name}`, Number(fields[11]) + Number(fields[12]));
  }
  return ticks;
}

const spec = parseSpec(process.argv[2] ?? 'FRAMEWORK=express,VARIANT=bare');
const seconds = Number(process.env.PROBE_SECONDS ?? 8);
const receiver = await startNode(here('./receiver.mjs'), { cpu: 0 });
try {
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
    const used = [...after]
      .map(([thread, ticks]) => [thread, ticks - (before.get(thread) ?? 0)])
      .filter(([, ticks]) => ticks > 0)
      .sort((a, b) => b[1] - a[1]);
    const total = used.reduce((sum, [, ticks]) => sum + ticks, 0);
    console.log(`${spec.label}: ${requests} requests, ${perRequest(total)} µs CPU/req in all`);
    for (const [thread, ticks] of used) console.log(`  ${thread.padEnd(24)} ${perRequest(ticks)} µs/req`);
  } finally {
    await server.stop();
  }
} finally {
  await receiver.stop();
}
