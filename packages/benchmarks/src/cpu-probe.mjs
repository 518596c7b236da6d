// Profiling aid (not part of the suite): CPU µs per request of server configurations given as
// KEY=VALUE,… arguments, interleaved over PROBE_ROUNDS rounds, medians printed. SERVER=path runs
// another checkout's server.mjs (say, a git worktree of an older commit, built), so two builds are
// compared side by side in one run.
import { here, load, median, startNode } from './processes.mjs';

const rounds = Number(process.env.PROBE_ROUNDS ?? 3);
const seconds = Number(process.env.PROBE_SECONDS ?? 3);
const receiver = await startNode(here('./receiver.mjs'), { cpu: 0 });
const results = new Map();
for (let round = 0; round < rounds; round++) {
  for (const spec of process.argv.slice(2)) {
    const env = Object.fromEntries(spec.split(',').map((kv) => kv.split('=')));
    const server = await startNode(env.SERVER ?? here('./server.mjs'), {
      env: { ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.first.url },
      cpu: 1,
      nodeArgs: env.VARIANT === 'otel-100' ? ['--import', here('./otel-reference.mjs')] : [],
    });
    const url = `http://127.0.0.1:${server.first.port}/models/m42`;
    await load(url, 1, { cpu: 0 });
    const before = await server.ask('stats');
    const result = await load(url, seconds, { cpu: 0 });
    const after = await server.ask('stats');
    const us = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / result.requests;
    if (!results.has(spec)) results.set(spec, []);
    results.get(spec).push(us);
    await server.stop();
  }
}
for (const [spec, values] of results) {
  console.log(
    `${spec.padEnd(70)} ${median(values).toFixed(1).padStart(6)} µs/req  [${values.map((v) => v.toFixed(0)).join(' ')}]`,
  );
}
await receiver.stop();
