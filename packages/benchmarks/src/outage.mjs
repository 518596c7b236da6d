// Full load at 100 % sampling while the collector is down (connection refused), then slow (accepts,
// never answers): RSS and event-loop delay sampled every 5 s. Our adapter against the OpenTelemetry
// reference, whose BatchSpanProcessor starts a new export for every full batch. Bare Express, and
// ours with a collector that answers, run the same load first: what the loop delay reads at full
// load with no outage, on this machine that day, to read the outage's against.
import { createServer } from 'node:net';
import { routeUrl } from './macro.mjs';
import { here, median, startNode } from './processes.mjs';

async function refusedUrl() {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/v1/traces`;
}

async function phase(variant, collectorUrl, seconds, log) {
  const env = { FRAMEWORK: 'express', VARIANT: variant, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collectorUrl };
  const nodeArgs = variant === 'otel-100' ? ['--import', here('./otel-reference.mjs')] : [];
  const server = await startNode(here('./server.mjs'), { env, cpu: 1, nodeArgs });
  const samples = [];
  try {
    const url = routeUrl(server);
    const loadgen = startNode(here('./load.mjs'), {
      args: [url, String(seconds), '50'],
      cpu: 0,
      firstLineTimeoutMs: (seconds + 60) * 1000,
    });
    const started = Date.now();
    samples.push({ t: 0, ...(await server.ask('memory')) });
    while (Date.now() - started < seconds * 1000 - 500) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(5000, seconds * 1000 - (Date.now() - started) - 400)),
      );
      const memory = await server.ask('memory');
      samples.push({ t: Math.round((Date.now() - started) / 1000), ...memory });
    }
    const result = (await loadgen).first;
    const rssMB = samples.map((s) => s.rss / 2 ** 20);
    // Growth is counted from the first sample under load (t = 5 s), once the heap has sized
    // itself for the traffic: what keeps growing after that is what the outage costs.
    const underLoad = rssMB.slice(1);
    const summary = {
      variant,
      rps: result.rps,
      rssIdleMB: rssMB[0],
      rssAt5sMB: underLoad[0],
      rssMaxMB: Math.max(...underLoad),
      rssGrowthMB: Math.max(...underLoad) - underLoad[0],
      loopDelayMaxMs: Math.max(...samples.slice(1).map((s) => s.loopDelayMaxMs)),
      // The worst 5 s window's 99th percentile: the max alone is one pause, often a collection.
      loopDelayP99Ms: Math.max(...samples.slice(1).map((s) => s.loopDelayP99Ms)),
      gcLongestMs: Math.max(...samples.slice(1).map((s) => s.gcLongestMs)),
      // The share of time spent collecting, in the median 5 s window.
      gcShare: median(samples.slice(1).map((s) => s.gcShare)),
      dropped: samples.at(-1).export?.dropped ?? null,
      failed: samples.at(-1).export?.failed ?? null,
      rssSeriesMB: rssMB.map((v) => Math.round(v)),
    };
    log(`outage ${variant} ${JSON.stringify(summary)}`);
    return summary;
  } finally {
    await server.stop();
  }
}

export async function runOutage({ seconds, variants = ['ours-100', 'otel-100'], log = console.log }) {
  const slow = await startNode(here('./slow-collector.mjs'), { cpu: 0 });
  const healthy = await startNode(here('./receiver.mjs'), { cpu: 0 });
  const results = [];
  try {
    results.push({ collector: 'none', ...(await phase('bare', healthy.first.url, seconds, log)) });
    results.push({ collector: 'up', ...(await phase(variants[0], healthy.first.url, seconds, log)) });
    for (const variant of variants) {
      results.push({ collector: 'down', ...(await phase(variant, await refusedUrl(), seconds, log)) });
      results.push({ collector: 'slow', ...(await phase(variant, slow.first.url, seconds, log)) });
    }
  } finally {
    await slow.stop();
    await healthy.stop();
  }
  return results;
}
