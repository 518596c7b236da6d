// pnpm bench: the whole suite, or a short smoke of it with BENCH_SMOKE=1 (what CI runs).
// Writes results/latest.json and, with --write-docs, docs/benchmarks.md at the repository root.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, homedir, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runAllocations } from './allocations.mjs';
import { runInstructions } from './instructions.mjs';
import { FRAMEWORKS, runMacro } from './macro.mjs';
import { runImportCostBench } from './micro/import-cost.mjs';
import { runLifecycleBench } from './micro/lifecycle.mjs';
import { runMetricsScrapeBench } from './micro/metrics-scrape.mjs';
import { runNextTickBench } from './micro/next-tick.mjs';
import { runOtlpSerializationBench } from './micro/otlp-serialization.mjs';
import { runSpanHelpersBench } from './micro/span-helpers.mjs';
import { runOutage } from './outage.mjs';
import { renderReport } from './report.mjs';

const smoke = process.env.BENCH_SMOKE === '1';
const only = new Set(
  (process.env.BENCH_ONLY ?? 'micro,import,macro,node24,outage,instructions,allocations').split(','),
);
const settings = smoke
  ? {
      rounds: 1,
      pairedRounds: 1,
      generations: 1,
      warmup: 1,
      seconds: 1,
      outageSeconds: 6,
      microRounds: 1,
      calls: 2000,
      iterations: 2000,
      batches: 2,
      node24: { frameworks: ['fastify'], variants: ['bare', 'context-only', 'ours-100'] },
      instructions: { frameworks: ['fastify'], variants: ['bare', 'ours-100'], warmup: 300, requests: 200 },
      allocations: {
        frameworks: ['fastify'],
        variants: ['bare', 'ours-100'],
        warmup: 1,
        seconds: 1,
        rounds: 1,
      },
    }
  : {
      rounds: Number(process.env.BENCH_ROUNDS ?? 2),
      pairedRounds: Number(process.env.BENCH_PAIRED_ROUNDS ?? 3),
      generations: Number(process.env.BENCH_GENERATIONS ?? 3),
      warmup: 3,
      seconds: 3,
      outageSeconds: 60,
      microRounds: 7,
      calls: 300_000,
      iterations: 50_000,
      batches: 50,
      node24: {},
      instructions: {
        frameworks: FRAMEWORKS,
        variants: ['bare', 'disabled', 'context-only', 'ours-10', 'ours-100'],
        // Under valgrind V8 is still compiling after a few thousand requests; 10 000 leave it settled.
        warmup: 10_000,
        requests: 3000,
      },
      allocations: {
        frameworks: FRAMEWORKS,
        variants: ['bare', 'disabled', 'context-only', 'ours-10', 'ours-100', 'otel-100'],
        warmup: 3,
        seconds: 3,
        rounds: 3,
      },
    };

// Each phase's results keep the commit they measured, so a page showing a rerun phase beside
// carried-over ones can say which code each table is of. Results and the page itself, which every
// run rewrites, do not count as changes to it.
function measuredCommit() {
  const git = (...args) =>
    execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const changes = git(
      'status',
      '--porcelain',
      '--untracked-files=no',
      '--',
      ':(top)',
      ':(top,exclude)docs',
      ':(top,exclude)packages/benchmarks/results',
    );
    return changes === '' ? commit : `${commit} with uncommitted changes`;
  } catch {
    return undefined;
  }
}

const commit = measuredCommit();
const results = {
  date: new Date().toISOString(),
  commits: Object.fromEntries([...only].map((phase) => [phase, commit])),
  smoke,
  machine: {
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGB: Math.round(totalmem() / 2 ** 30),
  },
  settings,
};
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
// Rerunning some phases (BENCH_ONLY) keeps the others' last full results, marked with their date
// and commit.
const SECTIONS = {
  micro: ['spanHelpers', 'lifecycle', 'otlp', 'scrape', 'nextTick'],
  import: ['importCost'],
  macro: ['macro'],
  node24: ['node24'],
  outage: ['outage'],
  instructions: ['instructions'],
  allocations: ['allocations'],
};
if (!smoke && only.size < Object.keys(SECTIONS).length && existsSync(`${resultsDir}latest.json`)) {
  const previous = JSON.parse(readFileSync(`${resultsDir}latest.json`, 'utf8'));
  for (const [phase, keys] of Object.entries(SECTIONS)) {
    if (only.has(phase) || keys.some((key) => previous[key] === undefined)) continue;
    for (const key of keys) results[key] = previous[key];
    results.carriedOver = {
      ...results.carriedOver,
      [phase]: previous.carriedOver?.[phase] ?? previous.date,
    };
    results.commits[phase] = previous.commits?.[phase];
  }
}
// Saved after every phase: a long run that fails late keeps what it measured.
const save = () =>
  writeFileSync(`${resultsDir}${smoke ? 'smoke' : 'latest'}.json`, `${JSON.stringify(results, null, 2)}\n`);
save();
if (only.has('micro')) {
  console.log('micro-benchmarks');
  results.spanHelpers = await runSpanHelpersBench({ rounds: settings.microRounds, calls: settings.calls });
  results.lifecycle = await runLifecycleBench({
    rounds: settings.microRounds,
    iterations: settings.iterations,
  });
  results.otlp = runOtlpSerializationBench({ rounds: settings.microRounds, batches: settings.batches });
  results.scrape = await runMetricsScrapeBench({ rounds: settings.microRounds * 3 });
  results.nextTick = await runNextTickBench({
    nodes: [process.execPath, node24Binary()],
    processes: settings.microRounds,
    ticks: settings.calls,
  });
  save();
}
if (only.has('import')) {
  console.log('importing the package, in fresh processes');
  results.importCost = await runImportCostBench({ processes: smoke ? 1 : settings.microRounds * 3 });
  save();
}
if (only.has('macro')) {
  console.log('throughput: server on core 1, autocannon on core 0');
  results.macro = await runMacro(settings);
  save();
}
if (only.has('node24')) {
  // Node 24 builds AsyncLocalStorage on AsyncContextFrame instead of async hooks: the same runs
  // with the servers there show what the context floor, and so each ratio, becomes.
  const node = node24Binary();
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`throughput on Node ${version}: server on core 1, autocannon on core 0`);
  results.node24 = { node: version, ...(await runMacro({ ...settings, ...settings.node24, node })) };
  save();
}
if (only.has('outage')) {
  console.log('exporter outage');
  results.outage = await runOutage({ seconds: settings.outageSeconds });
  save();
}
if (only.has('instructions')) {
  console.log('instructions per request, under valgrind');
  results.instructions = await runInstructions(settings.instructions);
  save();
}
if (only.has('allocations')) {
  console.log('bytes allocated per request: server on core 1, autocannon on core 0');
  results.allocations = await runAllocations(settings.allocations);
}

/** BENCH_NODE24, or the Node 24 that scripts/test.sh installs (installed here the same way if absent). */
function node24Binary() {
  if (process.env.BENCH_NODE24) return process.env.BENCH_NODE24;
  const dir = process.env.NODE24_DIR ?? `${homedir()}/.cache/maestro-observability/node24`;
  const binary = `${dir}/node_modules/.bin/node`;
  if (!existsSync(binary)) {
    console.log(`installing Node 24 from the npm registry into ${dir}`);
    execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', 'node@24'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return binary;
}

const report = renderReport(results);
console.log(`\n${report}`);
save();
if (process.argv.includes('--write-docs')) {
  mkdirSync(fileURLToPath(new URL('../../../docs/', import.meta.url)), { recursive: true });
  writeFileSync(fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url)), report);
}
