// Throughput of the same route per framework and variant, server and load generator on separate
// cores, interleaved rounds, each variant's ratio to bare taken within its round.
import { here, load, median, startNode } from './processes.mjs';

export const FRAMEWORKS = ['express', 'fastify', 'nest'];
export const VARIANTS = ['bare', 'disabled', 'context-only', 'ours-10', 'ours-100', 'otel-100'];
const SERVER_CPU = 1;
const LOAD_CPU = 0;

async function measure(framework, variant, receiver, { warmup, seconds }) {
  const env = {
    FRAMEWORK: framework,
    VARIANT: variant,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.first.url,
    NODE_ENV: 'production',
  };
  const nodeArgs = variant === 'otel-100' ? ['--import', here('./otel-reference.mjs')] : [];
  const server = await startNode(here('./server.mjs'), { env, cpu: SERVER_CPU, nodeArgs });
  try {
    const url = `http://127.0.0.1:${server.first.port}/models/m42`;
    await load(url, warmup, { cpu: LOAD_CPU });
    const before = await server.ask('stats');
    const spansBefore = (await receiver.ask('stats')).spans;
    const result = await load(url, seconds, { cpu: LOAD_CPU });
    const after = await server.ask('stats', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const spansAfter = (await receiver.ask('stats')).spans;
    const cpuMicros = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
    return {
      framework,
      variant,
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
  } finally {
    await server.stop();
  }
}

export async function runMacro({
  rounds,
  warmup,
  seconds,
  frameworks = FRAMEWORKS,
  variants = VARIANTS,
  log = console.log,
}) {
  const receiver = await startNode(here('./receiver.mjs'), { cpu: LOAD_CPU });
  const runs = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const framework of frameworks) {
        let bare;
        for (const variant of variants) {
          const run = await measure(framework, variant, receiver, { warmup, seconds });
          run.round = round;
          if (variant === 'bare') bare = run;
          run.ratio = bare ? run.rps / bare.rps : Number.NaN;
          runs.push(run);
          log(
            `round ${round + 1}/${rounds} ${framework.padEnd(7)} ${variant.padEnd(9)} ${run.rps.toFixed(0).padStart(6)} req/s  ` +
              `x${run.ratio.toFixed(2)}  p99 ${run.p99} ms  ${run.cpuPerRequest.toFixed(1)} µs CPU/req  ` +
              `spans ${run.spansReceived}${run.dropped ? ` dropped ${run.dropped}` : ''}`,
          );
        }
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
      const requests = mine.reduce((sum, run) => sum + run.requests, 0);
      rows.push({
        framework,
        variant,
        rps: median(mine.map((run) => run.rps)),
        ratio: median(mine.map((run) => run.ratio)),
        p99: median(mine.map((run) => run.p99)),
        cpuPerRequest: median(mine.map((run) => run.cpuPerRequest)),
        rssMB: median(mine.map((run) => run.rssMB)),
        spansPerRequest: mine.reduce((sum, run) => sum + run.spansReceived, 0) / Math.max(1, requests),
        dropped: mine.every((run) => run.dropped === null)
          ? null
          : mine.reduce((sum, run) => sum + (run.dropped ?? 0), 0),
        non2xx: mine.reduce((sum, run) => sum + run.non2xx, 0),
      });
    }
  }
  return { rows, runs };
}
