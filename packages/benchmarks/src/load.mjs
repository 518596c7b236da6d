// The load generator, run in its own process (pinned to its own core by the driver):
// autocannon against URL for SECONDS with CONNECTIONS, printing its summary as one JSON line.
import autocannon from 'autocannon';

const [url, seconds, connections] = process.argv.slice(2);
const result = await autocannon({ url, duration: Number(seconds), connections: Number(connections ?? 50) });
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    rps: result.requests.average,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    duration: result.duration,
  })}\n`,
);
