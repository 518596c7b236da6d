// Profiling aid (not part of the suite): server configurations given as KEY=VALUE,… arguments,
// measured side by side like the suite's throughput runs, each paired with a twin of the first
// (the baseline, itself included) over PROBE_ROUNDS rounds; prints each one's median CPU µs per
// request and its twin's CPU per request over its own, with the rounds' ratios. SERVER=path runs
// another checkout's server.mjs (say, a git worktree of an older commit, built), so two builds
// are compared side by side in one run; NODE=path runs the server on another Node binary.
import { measureInterleaved, parseSpec } from './macro.mjs';
import { here, median, startNode } from './processes.mjs';

const specs = process.argv.slice(2).map(parseSpec);
const receiver = await startNode(here('./receiver.mjs'), { cpu: 0 });
try {
  const runs = await measureInterleaved(specs, receiver, {
    rounds: 0,
    pairedRounds: Number(process.env.PROBE_ROUNDS ?? 6),
    warmup: 2,
    seconds: Number(process.env.PROBE_SECONDS ?? 3),
  });
  for (const { label } of specs) {
    const mine = runs.filter((run) => run.label === label);
    const ratios = mine.map((run) => run.cpuRatio);
    console.log(
      `${label.padEnd(70)} ${median(mine.map((run) => run.cpuPerRequest))
        .toFixed(1)
        .padStart(6)} µs/req  ` +
        `x${median(ratios).toFixed(3)}  [${ratios.map((v) => v.toFixed(2)).join(' ')}]`,
    );
  }
} finally {
  await receiver.stop();
}
