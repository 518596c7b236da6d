// Bytes allocated per request on the server's main thread, for each framework and variant. Every
// byte allocated is later scavenged, and on this machine, whose slowness is memory traffic, that is
// a cost the instruction counts do not see. Like those counts, and unlike time, a count of bytes
// does not swing with the machine's other tenants: the servers are measured one after the other,
// without pairing. The export worker's heap (it receives each batch already encoded) is not counted.
import { LOAD_CPU, routeUrl, serverOptions } from './macro.mjs';
import { here, load, median, startNode } from './processes.mjs';

/**
 * Median bytes per request a started server allocates, and that its scavenges promote, over
 * `rounds` loads of `seconds` each, after one load of `warmup` seconds. With `profileFile(round)`,
 * the server also samples where each round's bytes are allocated, into that file.
 */
async function allocationsPerRequest(server, { warmup, seconds, rounds, profileFile }) {
  const url = routeUrl(server);
  await load(url, warmup, { cpu: LOAD_CPU });
  const perRequest = [];
  const promotedPerRequest = [];
  for (let round = 0; round < rounds; round++) {
    const profile = profileFile === undefined ? '' : ` ${profileFile(round)}`;
    await server.ask(`allocations${profile}`);
    const { requests, non2xx, errors } = await load(url, seconds, { cpu: LOAD_CPU });
    const { allocatedBytes, promotedBytes } = await server.ask('allocations', 60_000);
    if (non2xx + errors > 0) throw new Error(`${non2xx + errors} failed requests while counting allocations`);
    perRequest.push(allocatedBytes / requests);
    promotedPerRequest.push(promotedBytes / requests);
  }
  return {
    bytesPerRequest: median(perRequest),
    byRound: perRequest,
    promotedPerRequest: median(promotedPerRequest),
    promotedByRound: promotedPerRequest,
  };
}

/**
 * Starts the server `spec` describes (server.mjs, or another checkout's as `spec.script`), measures
 * its bytes per request as {@link allocationsPerRequest} does, and stops it.
 */
export async function allocationsOfServer(spec, receiver, tracesPath, settings) {
  const server = await startNode(
    spec.script ?? here('./server.mjs'),
    serverOptions(spec, receiver, tracesPath),
  );
  try {
    return await allocationsPerRequest(server, settings);
  } finally {
    await server.stop();
  }
}

/** Bytes per request for each framework and variant, and each one's excess over bare. */
export async function runAllocations({ frameworks, variants, warmup, seconds, rounds }) {
  const receiver = await startNode(here('./receiver.mjs'), { cpu: LOAD_CPU });
  try {
    const measured = new Map();
    for (const framework of frameworks) {
      for (const variant of variants) {
        const spec = { env: { FRAMEWORK: framework, VARIANT: variant } };
        const result = await allocationsOfServer(spec, receiver, `/allocations/${framework}/${variant}`, {
          warmup,
          seconds,
          rounds,
        });
        measured.set(`${framework}/${variant}`, result);
        console.log(
          `  ${framework} ${variant}: ${Math.round(result.bytesPerRequest)} bytes/request, ` +
            `${Math.round(result.promotedPerRequest)} promoted`,
        );
      }
    }
    const rows = frameworks.flatMap((framework) =>
      variants.map((variant) => {
        const { bytesPerRequest, byRound, promotedPerRequest, promotedByRound } = measured.get(
          `${framework}/${variant}`,
        );
        const bare = measured.get(`${framework}/bare`);
        return {
          framework,
          variant,
          bytesPerRequest,
          addedPerRequest: bytesPerRequest - bare.bytesPerRequest,
          ratio: bare.bytesPerRequest / bytesPerRequest,
          byRound,
          promotedPerRequest,
          promotedAddedPerRequest: promotedPerRequest - bare.promotedPerRequest,
          promotedByRound,
        };
      }),
    );
    return { warmup, seconds, rounds, rows };
  } finally {
    await receiver.stop();
  }
}
