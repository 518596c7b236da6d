// Throughput of the same route per framework and variant, server and load generator on separate
// cores: all of a framework's variants started together and warmed up, then measured paired, each
// with a bare twin of its own, and alone in short interleaved bursts (see measureInterleaved).
import { here, load, median, startNode } from './processes.mjs';

export const FRAMEWORKS = ['express', 'fastify', 'nest'];
// bare-control is a second bare process, measured like every other variant: what "no difference"
// reads in the same run (see measureInterleaved).
export const VARIANTS = [
  'bare',
  'bare-control',
  'disabled',
  'context-only',
  'ours-10',
  'ours-100',
  'otel-100',
  'burn-20',
];
const SERVER_CPU = 1;
/** The core the load generator and the receiver run on; servers run on the other. */
export const LOAD_CPU = 0;

/**
 * A server configuration to measure: `env` for server.mjs (FRAMEWORK, VARIANT, knobs), or another
 * checkout's server given as `script`; on another Node binary given as `node`.
 */
export function serverOptions(spec, receiver, tracesPath) {
  return {
    env: {
      NODE_ENV: 'production',
      ...spec.env,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.first.origin}${tracesPath}`,
    },
    cpu: SERVER_CPU,
    node: spec.node,
    nodeArgs: spec.env.VARIANT === 'otel-100' ? ['--import', here('./otel-reference.mjs')] : [],
  };
}

/**
 * A profiling probe's server configuration from its command-line form, KEY=VALUE,… (split at each
 * pair's first '=', so a value may hold one: NODE_OPTIONS=--max-semi-space-size=1). SERVER=path runs
 * another checkout's server.mjs; NODE=path another Node binary.
 */
export function parseSpec(text) {
  const env = Object.fromEntries(
    text.split(',').map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  return { label: text, env, script: env.SERVER, node: env.NODE };
}

let serversStarted = 0;

/** The benchmark route on a started server. */
export const routeUrl = (server) => `http://127.0.0.1:${server.first.port}/models/m42`;

async function burst(server, receiver, seconds) {
  const url = routeUrl(server);
  const spansOf = async () => (await receiver.ask('stats')).byPath[server.tracesPath] ?? 0;
  const before = await server.ask('stats');
  const spansBefore = await spansOf();
  const result = await load(url, seconds, { cpu: LOAD_CPU });
  // 'stats' flushes the pending spans first: their export is charged to this burst.
  const after = await server.ask('stats', 60_000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const spansAfter = await spansOf();
  const cpuMicros = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
  return {
    rps: result.rps,
    p99: result.p99,
    requests: result.requests,
    non2xx: result.non2xx + result.errors,
    cpuPerRequest: cpuMicros / Math.max(1, result.requests),
    rssMB: after.rss / 2 ** 20,
    spansReceived: spansAfter - spansBefore,
    dropped: after.export?.dropped ?? null,
    failed: after.export?.failed ?? null,
  };
}

/** Starts every spec's server, not yet warmed up. */
async function startAll(specs, receiver) {
  const running = [];
  try {
    for (const spec of specs) {
      const tracesPath = `/server-${serversStarted++}/v1/traces`;
      const server = await startNode(
        spec.script ?? here('./server.mjs'),
        serverOptions(spec, receiver, tracesPath),
      );
      server.tracesPath = tracesPath;
      running.push(server);
    }
    return running;
  } catch (error) {
    await stopAll(running);
    throw error;
  }
}

const stopAll = (servers) => Promise.all(servers.map((server) => server.stop()));

/** Loads `servers` at the same time for `seconds`, then flushes their spans. */
async function loadTogether(servers, seconds) {
  await Promise.all(servers.map((server) => load(routeUrl(server), seconds, { cpu: LOAD_CPU })));
  // Flushes the load's spans, which would otherwise reach the receiver in another's burst.
  await Promise.all(servers.map((server) => server.ask('stats', 60_000)));
}

/**
 * Measures `specs` ({ label, env, script?, tags? }) side by side, the first being the baseline
 * (bare), all started at once and warmed up. Two phases:
 * - paired: `pairedRounds` rounds in which each spec, the baseline included, is loaded at the same
 *   time as a baseline server of its own (its twin), the two sharing the server core: `cpuRatio`,
 *   the twin's CPU µs per request over the spec's, measured over the same seconds. This machine's
 *   speed swings by half within seconds (other tenants' memory traffic), which no sequential order
 *   cancels; two servers measured at once see the same machine. The twin is started, warmed up,
 *   loaded and left idle exactly when its spec is, and which of the two is loaded first alternates:
 *   with one baseline loaded in every pairing, bare against an idle-between-pairings bare read
 *   0.84–0.90 (2026-12-06), lowest after the longest idle. The baseline's own pairings and the
 *   bare-control variant show the reading. The baseline takes part so that the solo phase finds it
 *   no colder than the rest: left out, it sat idle through the pairings and bare-control read
 *   1.05–1.23 of its req/s;
 * - solo: `rounds` rounds of one `seconds` burst per spec, alone on the server core, the order
 *   rotating from round to round: throughput, latency, memory and spans at full load, and
 *   `ratio`, req/s over the baseline's in the same round.
 * Returns every run, tagged with its phase.
 */
export async function measureInterleaved(
  specs,
  receiver,
  { rounds, pairedRounds = rounds, warmup, seconds, onRun = () => {} },
) {
  const running = await startAll(specs, receiver);
  let twins = [];
  const tagged = (index, round, phase, run) => ({
    ...specs[index].tags,
    label: specs[index].label,
    round,
    phase,
    ...run,
  });
  try {
    if (pairedRounds > 0)
      twins = await startAll(
        specs.map(() => specs[0]),
        receiver,
      );
    for (let index = 0; index < specs.length; index++) {
      await loadTogether(twins.length > 0 ? [running[index], twins[index]] : [running[index]], warmup);
    }
    const runs = [];
    for (let round = 0; round < pairedRounds; round++) {
      for (let step = 0; step < specs.length; step++) {
        const index = (step + round) % specs.length;
        const twinFirst = round % 2 === 0;
        const pair = twinFirst ? [twins[index], running[index]] : [running[index], twins[index]];
        // Both sat idle since their last pairing (when V8 shrinks an idle heap): an unmeasured
        // second of load together first, so neither is measured while it regrows.
        await Promise.all(pair.map((server) => load(routeUrl(server), 1, { cpu: LOAD_CPU })));
        const [first, second] = await Promise.all(pair.map((server) => burst(server, receiver, seconds)));
        const [baseline, other] = twinFirst ? [first, second] : [second, first];
        const run = tagged(index, round, 'paired', other);
        run.cpuRatio = baseline.cpuPerRequest / other.cpuPerRequest;
        run.baselineCpuPerRequest = baseline.cpuPerRequest;
        runs.push(run);
        onRun(run);
      }
    }
    // The twins' work is done: only the measured servers share the machine from here.
    await stopAll(twins);
    twins = [];
    for (let round = 0; round < rounds; round++) {
      const inRound = new Array(specs.length);
      for (let step = 0; step < specs.length; step++) {
        const index = (step + round) % specs.length;
        inRound[index] = tagged(index, round, 'solo', await burst(running[index], receiver, seconds));
      }
      for (const run of inRound) {
        run.ratio = run.rps / inRound[0].rps;
        runs.push(run);
        onRun(run);
      }
    }
    return runs;
  } finally {
    await stopAll([...running, ...twins]);
  }
}

export async function runMacro({
  rounds,
  pairedRounds = rounds,
  generations = 1,
  warmup,
  seconds,
  frameworks = FRAMEWORKS,
  variants = VARIANTS,
  node,
  log = console.log,
}) {
  const receiver = await startNode(here('./receiver.mjs'), { cpu: LOAD_CPU });
  const runs = [];
  try {
    for (const framework of frameworks) {
      const specs = variants.map((variant) => ({
        label: `${framework} ${variant}`,
        env: { FRAMEWORK: framework, VARIANT: variant },
        tags: { framework, variant },
        node,
      }));
      const onRun = (run) =>
        log(
          run.phase === 'solo'
            ? `g${run.generation + 1} solo   ${run.round + 1}/${rounds} ${framework.padEnd(7)} ${run.variant.padEnd(12)} ${run.rps.toFixed(0).padStart(6)} req/s  ` +
                `x${run.ratio.toFixed(2)}  p99 ${run.p99} ms  ${run.cpuPerRequest.toFixed(1)} µs CPU/req  ` +
                `spans ${run.spansReceived}${run.dropped ? ` dropped ${run.dropped}` : ''}`
            : `g${run.generation + 1} paired ${run.round + 1}/${pairedRounds} ${framework.padEnd(7)} ${run.variant.padEnd(12)} ` +
                `${run.cpuPerRequest.toFixed(1)} µs CPU/req against bare's ${run.baselineCpuPerRequest.toFixed(1)}  x${run.cpuRatio.toFixed(2)}`,
        );
      // Each generation starts every server afresh. A process keeps the machine code V8 settled on
      // for its whole life, and two processes of one variant can settle differently: one context-only
      // server read 0.98 of bare for two rounds and 0.70 for the six after, another 0.91 throughout.
      // Rounds within one process do not sample that; several processes do.
      for (let generation = 0; generation < generations; generation++) {
        const measured = await measureInterleaved(specs, receiver, {
          rounds,
          pairedRounds,
          warmup,
          seconds,
          onRun: (run) => onRun({ ...run, generation }),
        });
        runs.push(...measured.map((run) => ({ ...run, generation })));
      }
    }
  } finally {
    await receiver.stop();
  }
  return summarize(runs, frameworks, variants);
}

function summarize(runs, frameworks, variants) {
  const rows = [];
  for (const framework of frameworks) {
    for (const variant of variants) {
      const mine = runs.filter((run) => run.framework === framework && run.variant === variant);
      const solo = mine.filter((run) => run.phase === 'solo');
      const paired = mine.filter((run) => run.phase === 'paired');
      const requests = solo.reduce((sum, run) => sum + run.requests, 0);
      rows.push({
        framework,
        variant,
        rps: median(solo.map((run) => run.rps)),
        ratio: median(solo.map((run) => run.ratio)),
        // CPU figures from the paired runs (the baseline's against its twin), the rest from the solo.
        cpuRatio: paired.length === 0 ? 1 : median(paired.map((run) => run.cpuRatio)),
        cpuPerRequest: median((paired.length === 0 ? solo : paired).map((run) => run.cpuPerRequest)),
        p99: median(solo.map((run) => run.p99)),
        rssMB: median(solo.map((run) => run.rssMB)),
        spansPerRequest: solo.reduce((sum, run) => sum + run.spansReceived, 0) / Math.max(1, requests),
        // A processor counts what it dropped since its server started: each generation's last count
        // is that server's total.
        dropped: mine.every((run) => run.dropped === null)
          ? null
          : sumOverGenerations(mine, (runs) => Math.max(...runs.map((run) => run.dropped ?? 0))),
        non2xx: mine.reduce((sum, run) => sum + run.non2xx, 0),
      });
    }
  }
  return { rows, runs };
}

function sumOverGenerations(runs, total) {
  const generations = new Set(runs.map((run) => run.generation));
  let sum = 0;
  for (const generation of generations) sum += total(runs.filter((run) => run.generation === generation));
  return sum;
}
