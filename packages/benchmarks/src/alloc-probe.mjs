// Profiling aid (not part of the suite): bytes the server's main thread allocates per request, and
// the bytes its scavenges promote, for server configurations given as KEY=VALUE,… arguments (as
// cpu-probe takes them), one after the other. PROBE_PROFILE_DIR=dir also samples where each round's
// bytes are allocated, collected or not, into a .heapprofile per round there (Chrome's DevTools
// opens them).
import { allocationsOfServer } from './allocations.mjs';
import { LOAD_CPU, parseSpec } from './macro.mjs';
import { here, startNode } from './processes.mjs';

const specs = process.argv.slice(2).map(parseSpec);
const profileDir = process.env.PROBE_PROFILE_DIR;
const receiver = await startNode(here('./receiver.mjs'), { cpu: LOAD_CPU });
try {
  for (const [index, spec] of specs.entries()) {
    const name = spec.label.replace(/[^\w-]+/g, '_');
    const result = await allocationsOfServer(spec, receiver, `/alloc-probe/${index}/v1/traces`, {
      warmup: 3,
      seconds: Number(process.env.PROBE_SECONDS ?? 3),
      rounds: Number(process.env.PROBE_ROUNDS ?? 3),
      profileFile:
        profileDir === undefined ? undefined : (round) => `${profileDir}/${name}.${round}.heapprofile`,
    });
    console.log(
      `${spec.label.padEnd(70)} ${result.bytesPerRequest.toFixed(0).padStart(6)} B/req  ` +
        `[${result.byRound.map((v) => v.toFixed(0)).join(' ')}]  ` +
        `promoted ${result.promotedPerRequest.toFixed(0).padStart(6)} B/req  ` +
        `[${result.promotedByRound.map((v) => v.toFixed(0)).join(' ')}]`,
    );
  }
} finally {
  await receiver.stop();
}
