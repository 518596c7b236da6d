// Profiling aid (not part of the suite): where a server's main-thread instructions go, per request
// and by function, counted by callgrind with JIT frames named through --perf-basic-prof. Takes one
// or two KEY=VALUE,… configurations, as cpu-probe.mjs does (SERVER=path runs another checkout's
// server.mjs, so two builds compare). With two, it prints what the second executes per request
// more (or less) than the first, function by function. Counts do not swing with the machine's other
// tenants as time does, so a change of a few hundred instructions a request shows here that no
// throughput run can see; but V8 settles each process's code its own way (whole-server totals move
// by up to 5 % between identical servers, and what a function inlines moves its cost to its
// caller), so read a difference function by function, and its total over several runs. Only
// instructions: cache misses and collector pauses are in cpu-probe's time instead. Needs valgrind;
// CALLGRIND_PROBE_ROWS (40) and CALLGRIND_PROBE_REQUESTS (3000) tune it.
// CALLGRIND_PROBE_CACHE=1 adds callgrind's cache and branch simulation (several times slower): every
// event's count a request is printed, and CALLGRIND_PROBE_EVENT (Ir, the instructions) picks the one
// the table ranks functions by — I1mr, D1mr and Bcm are the first-level instruction and data misses
// and the mispredicted branches, what makes a few added instructions cost more time than their count.
// The simulated caches are a model of this machine's, not a reading of them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countServer, eventTotals } from './instructions.mjs';
import { parseSpec, serverOptions } from './macro.mjs';
import { here, startNode } from './processes.mjs';

const rows = Number(process.env.CALLGRIND_PROBE_ROWS ?? 40);
const requests = Number(process.env.CALLGRIND_PROBE_REQUESTS ?? 3000);
const simulateCaches = process.env.CALLGRIND_PROBE_CACHE === '1';
const rankedEvent = process.env.CALLGRIND_PROBE_EVENT ?? 'Ir';

/** The JIT code ranges V8 wrote to the process's perf map, sorted by start. */
function perfMap(pid) {
  const ranges = readFileSync(`/tmp/perf-${pid}.map`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [start, size, ...name] = line.split(' ');
      return {
        start: Number.parseInt(start, 16),
        end: Number.parseInt(start, 16) + Number.parseInt(size, 16),
        name: name.join(' '),
      };
    });
  return ranges.sort((a, b) => a.start - b.start);
}

function nameAt(ranges, address) {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (ranges[middle].start <= address) low = middle + 1;
    else high = middle - 1;
  }
  const range = ranges[high];
  return range !== undefined && address < range.end ? range.name : undefined;
}

/** Every event the main thread's dump counted (Ir alone, unless caches were simulated), a request. */
function eventsPerRequest(count) {
  return [...eventTotals(count.mainDump)]
    .map(([name, total]) => `${name} ${Math.round(total / count.requests)}`)
    .join(', ');
}

/**
 * One event's count (instructions unless CALLGRIND_PROBE_EVENT names another) per request by
 * function, from the main thread's dump. A JIT frame is named by the perf map, without its tier
 * mark (`*` optimised, `^` baseline, `~` interpreted), so one function compiled twice counts once;
 * recursion marks (`'2`) are dropped too.
 */
function costsByFunction(count) {
  const ranges = perfMap(count.pid);
  const annotated = execFileSync(
    'callgrind_annotate',
    ['--threshold=100', `--show=${rankedEvent}`, `--sort=${rankedEvent}`, count.mainDump],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const costs = new Map();
  const lines = annotated.split('\n');
  const totalLine = lines.find((line) => line.includes('PROGRAM TOTALS'));
  const total = Number((/([\d,]+)/.exec(totalLine ?? '') ?? ['', '0'])[1].replaceAll(',', ''));
  for (const line of lines) {
    const match = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (match === null || match[2].includes('PROGRAM TOTALS')) continue;
    const instructions = Number(match[1].replaceAll(',', ''));
    // A dump taken while the server runs also charges the whole count to the frames on the stack
    // at that moment (main, the event loop, the JS entry): no function's own work comes near it.
    if (instructions > total / 2) continue;
    let name = match[2];
    const jit = /\?\?\?:0x([0-9a-f]+)/.exec(name);
    if (jit !== null) name = nameAt(ranges, Number.parseInt(jit[1], 16)) ?? 'JIT code without a name';
    name = name
      .replace(/'\d+/g, '')
      .replace(/^JS:[*^~+]?/, 'JS:')
      .replace(/^\?\?\?:/, '')
      .replace(/ \[[^\]]*\]$/, '')
      .replace(/\((?:v8|node)::.*$/, '');
    costs.set(name, (costs.get(name) ?? 0) + instructions / count.requests);
  }
  return costs;
}

const specs = process.argv.slice(2).map(parseSpec);
if (specs.length === 0 || specs.length > 2) {
  console.error('usage: node src/callgrind-probe.mjs KEY=VALUE,… [KEY=VALUE,…]');
  process.exit(2);
}
// Without the simulation a dump holds instructions only: say so now, not after the servers ran.
if (rankedEvent !== 'Ir' && !simulateCaches) {
  console.error(`CALLGRIND_PROBE_EVENT=${rankedEvent} needs CALLGRIND_PROBE_CACHE=1`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'maestro-callgrind-probe-'));
const receiver = await startNode(here('./receiver.mjs'));
const pids = [];
try {
  // One after the other: a count does not depend on what else runs, and two under valgrind at once
  // would only take twice as long each.
  const counts = [];
  for (const [index, spec] of specs.entries()) {
    const options = { ...serverOptions(spec, receiver, `/callgrind-probe/${index}`), script: spec.script };
    const count = await countServer(options, {
      warmup: 10_000,
      requests,
      dir,
      nodeArgs: ['--perf-basic-prof'],
      valgrindArgs: simulateCaches ? ['--cache-sim=yes', '--branch-sim=yes'] : [],
    });
    pids.push(count.pid);
    counts.push({ ...count, costs: costsByFunction(count) });
    console.log(
      `${spec.label}: ${Math.round(count.main)} instructions a request on the main thread, ${Math.round(count.all)} in all`,
    );
    if (simulateCaches) console.log(`  main thread, a request: ${eventsPerRequest(count)}`);
  }
  const [first, second] = counts;
  const table = (entries) => {
    for (const [name, values] of entries.slice(0, rows))
      console.log(`${values.map((v) => Math.round(v).toString().padStart(8)).join(' ')}  ${name}`);
  };
  if (second === undefined) {
    console.log(`${rankedEvent} a request  function (self)`);
    table([...first.costs].map(([name, value]) => [name, [value]]).sort((a, b) => b[1][0] - a[1][0]));
  } else {
    console.log(`  second    first   second  function (self), ${rankedEvent} a request`);
    const names = new Set([...first.costs.keys(), ...second.costs.keys()]);
    const rowsByDifference = [...names]
      .map((name) => {
        const a = first.costs.get(name) ?? 0;
        const b = second.costs.get(name) ?? 0;
        return [name, [b - a, a, b]];
      })
      .sort((x, y) => Math.abs(y[1][0]) - Math.abs(x[1][0]));
    table(rowsByDifference);
  }
} finally {
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
  for (const pid of pids) rmSync(`/tmp/perf-${pid}.map`, { force: true });
}
