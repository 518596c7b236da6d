// Profiling aid (not part of the suite): where a loaded server's CPU goes, in µs per request by
// symbol, from `perf record` (JIT frames named through --perf-basic-prof). Takes one or two
// KEY=VALUE,… configurations, as cpu-probe.mjs does. With two, both servers are loaded and recorded
// over the same seconds, sharing the server core as cpu-probe's pairs do, and it prints what the
// second costs per request more (or less) than the first, symbol by symbol: this machine's speed
// swings by half within seconds, so two servers recorded one after the other differ everywhere
// (llhttp's parse of the same bytes read twice the µs in one of two such runs), while a pair sees
// the same machine. A percentage table cannot answer it either: the two serve different request
// counts. One process of each, so how V8 settled each process's code is in it: read it for where
// the µs go, and cpu-probe (several rounds) for how much. Linux with perf only;
// PERF_PROBE_SECONDS (8) and PERF_PROBE_ROWS (40) tune it; PERF_PROBE_CALLERS=text also records
// call chains and prints, per server, which JavaScript functions the symbols containing text were
// reached from (a runtime or builtin symbol alone does not say whose work it is).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpec, routeUrl, serverOptions } from './macro.mjs';
import { here, load, startNode } from './processes.mjs';

const SAMPLE_HZ = 2999;
const seconds = Number(process.env.PERF_PROBE_SECONDS ?? 8);
const rows = Number(process.env.PERF_PROBE_ROWS ?? 40);
const callersOf = process.env.PERF_PROBE_CALLERS;

/** Loads every server at once and records them together: samples by symbol and requests, per server. */
async function profile(servers, file) {
  await Promise.all(servers.map((server) => load(routeUrl(server), 3, { cpu: 0 })));
  const pids = servers.map((server) => server.child.pid);
  const perf = spawn(
    'perf',
    [
      'record',
      '-q',
      '-e',
      'cpu-clock',
      '-F',
      String(SAMPLE_HZ),
      ...(callersOf === undefined ? [] : ['-g']),
      '-p',
      pids.join(','),
      '-o',
      file,
    ],
    { stdio: 'ignore' },
  );
  await new Promise((resolve) => setTimeout(resolve, 300)); // perf attached before the burst
  const loads = await Promise.all(servers.map((server) => load(routeUrl(server), seconds, { cpu: 0 })));
  perf.kill('SIGINT');
  await new Promise((resolve) => perf.on('exit', resolve));
  const report = spawnSync(
    'perf',
    ['report', '-i', file, '--no-children', '-g', 'none', '--stdio', '-F', 'sample,pid,sym'],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  ).stdout;
  const samples = pids.map(() => new Map());
  for (const line of report.split('\n')) {
    const match = /^\s*(\d+)\s+(\d+):\S*\s+\[.\]\s+(.*)$/.exec(line);
    const index = match ? pids.indexOf(Number(match[2])) : -1;
    if (index !== -1) samples[index].set(match[3].replace(/\s+$/, ''), Number(match[1]));
  }
  const callers = callersOf === undefined ? undefined : javascriptCallers(file, pids, callersOf);
  return servers.map((_, index) => ({
    requests: loads[index].requests,
    samples: samples[index],
    callers: callers?.[index],
  }));
}

/** Per pid, samples whose own symbol contains `text`, by the nearest JavaScript frame above it. */
function javascriptCallers(file, pids, text) {
  const script = spawnSync('perf', ['script', '-i', file, '-F', 'pid,ip,sym'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  }).stdout;
  const byPid = pids.map(() => new Map());
  for (const sample of script.split('\n\n')) {
    const lines = sample.split('\n').filter((line) => line.trim() !== '');
    const index = pids.indexOf(Number(lines[0]?.trim().split(/\s+/)[0]));
    if (index === -1 || lines.length < 2) continue;
    const frames = lines.slice(1).map((line) =>
      line
        .trim()
        .replace(/^[0-9a-f]+\s+/, '')
        .replace(/\+0x[0-9a-f]+$/, ''),
    );
    if (!frames[0].includes(text)) continue;
    const caller = frames.slice(1).find((frame) => frame.startsWith('JS:')) ?? '(no JavaScript caller)';
    byPid[index].set(caller, (byPid[index].get(caller) ?? 0) + 1);
  }
  return byPid;
}

const fixed = (n) => n.toFixed(2).padStart(7);
const microsPerRequest = (count, requests) => (count * 1e6) / SAMPLE_HZ / requests;
const total = ({ samples, requests }) =>
  microsPerRequest(
    [...samples.values()].reduce((sum, n) => sum + n, 0),
    requests,
  );

const specs = process.argv.slice(2).map(parseSpec);
if (specs.length === 0 || specs.length > 2) {
  console.error(
    'usage: node src/perf-probe.mjs SPEC [OTHER_SPEC]   (SPEC: FRAMEWORK=fastify,VARIANT=ours-100,…)',
  );
  process.exit(2);
}
const directory = mkdtempSync(join(tmpdir(), 'perf-probe-'));
const receiver = await startNode(here('./receiver.mjs'), { cpu: 0 });
const servers = [];
try {
  for (const [index, spec] of specs.entries()) {
    const options = serverOptions(spec, receiver, `/server-${index}/v1/traces`);
    options.nodeArgs = [...options.nodeArgs, '--perf-basic-prof'];
    servers.push(await startNode(spec.script ?? here('./server.mjs'), options));
  }
  const profiles = await profile(servers, join(directory, 'perf.data'));
  for (const [index, spec] of specs.entries()) {
    const { requests } = profiles[index];
    console.log(`${spec.label}: ${requests} requests, ${total(profiles[index]).toFixed(1)} µs/req sampled`);
  }
  const [first, second] = profiles;
  const symbols = new Set([...first.samples.keys(), ...(second?.samples.keys() ?? [])]);
  const table = [...symbols].map((symbol) => {
    const a = microsPerRequest(first.samples.get(symbol) ?? 0, first.requests);
    const b = second === undefined ? 0 : microsPerRequest(second.samples.get(symbol) ?? 0, second.requests);
    return { symbol, a, b, key: second === undefined ? a : b - a };
  });
  table.sort((x, y) => y.key - x.key);
  console.log(second === undefined ? '  µs/req  symbol' : '   delta    first   second  symbol (µs/req)');
  for (const { symbol, a, b, key } of table.slice(0, rows)) {
    const name = symbol.length > 140 ? `${symbol.slice(0, 139)}…` : symbol;
    console.log(
      second === undefined ? `${fixed(a)}  ${name}` : `${fixed(key)}  ${fixed(a)}  ${fixed(b)}  ${name}`,
    );
  }
  if (callersOf !== undefined) {
    for (const [index, spec] of specs.entries()) {
      const { callers, requests } = profiles[index];
      console.log(`callers of symbols containing "${callersOf}" in ${spec.label} (µs/req):`);
      for (const [caller, count] of [...callers].sort((x, y) => y[1] - x[1]).slice(0, 12)) {
        console.log(`${fixed(microsPerRequest(count, requests))}  ${caller.slice(0, 140)}`);
      }
    }
  }
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  await receiver.stop();
  rmSync(directory, { recursive: true, force: true });
}
