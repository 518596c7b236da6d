// Profiling aid (not part of the suite): where a loaded server's CPU goes, in µs per request by
// symbol, from `perf record` (JIT frames named through --perf-basic-prof). Takes one or two
// KEY=VALUE,… configurations, as cpu-probe.mjs does; with two, prints what the second costs per
// request more (or less) than the first, symbol by symbol, which is what a question like "where do
// the sampled spans' µs go" needs. A percentage table cannot answer it: the two servers serve
// different request counts in the same seconds. One process of each, so process-to-process
// differences (±0.03–0.07 of the ratio) are in it: read it for where, and cpu-probe for how much.
// Linux with perf only; PERF_PROBE_SECONDS (8) and PERF_PROBE_ROWS (40) tune it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpec, serverOptions } from './macro.mjs';
import { here, load, startNode } from './processes.mjs';

const SAMPLE_HZ = 2999;
const seconds = Number(process.env.PERF_PROBE_SECONDS ?? 8);
const rows = Number(process.env.PERF_PROBE_ROWS ?? 40);

/** Samples by symbol, every thread of the server process, over one load burst. */
async function profile(spec, receiver, file) {
  const options = serverOptions(spec, receiver, '/v1/traces');
  options.nodeArgs = [...options.nodeArgs, '--perf-basic-prof'];
  const server = await startNode(spec.script ?? here('./server.mjs'), options);
  try {
    const url = `http://127.0.0.1:${server.first.port}/models/m42`;
    await load(url, 3, { cpu: 0 });
    const perf = spawn(
      'perf',
      [
        'record',
        '-q',
        '-e',
        'cpu-clock',
        '-F',
        String(SAMPLE_HZ),
        '-p',
        String(server.child.pid),
        '-o',
        file,
      ],
      { stdio: 'ignore' },
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // perf attached before the burst
    const { requests } = await load(url, seconds, { cpu: 0 });
    perf.kill('SIGINT');
    await new Promise((resolve) => perf.on('exit', resolve));
    const report = spawnSync(
      'perf',
      ['report', '-i', file, '--no-children', '-g', 'none', '--stdio', '-F', 'sample,sym'],
      { encoding: 'utf8', maxBuffer: 1 << 28 },
    ).stdout;
    const samples = new Map();
    for (const line of report.split('\n')) {
      const match = /^\s*(\d+)\s+\[.\]\s+(.*)$/.exec(line);
      if (match) samples.set(match[2].replace(/\s+$/, ''), Number(match[1]));
    }
    return { requests, samples };
  } finally {
    await server.stop();
  }
}

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
try {
  const profiles = [];
  for (const [index, spec] of specs.entries()) {
    profiles.push(await profile(spec, receiver, join(directory, `${index}.data`)));
  }
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
  const fixed = (n) => n.toFixed(2).padStart(7);
  console.log(second === undefined ? '  µs/req  symbol' : '   delta    first   second  symbol (µs/req)');
  for (const { symbol, a, b, key } of table.slice(0, rows)) {
    const name = symbol.length > 140 ? `${symbol.slice(0, 139)}…` : symbol;
    console.log(
      second === undefined ? `${fixed(a)}  ${name}` : `${fixed(key)}  ${fixed(a)}  ${fixed(b)}  ${name}`,
    );
  }
} finally {
  await receiver.stop();
  rmSync(directory, { recursive: true, force: true });
}
