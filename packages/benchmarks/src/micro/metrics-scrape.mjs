// One /metrics scrape with 200 routes (each with 2xx, 4xx and 5xx series) and the process metrics,
// in both formats, in milliseconds.
import { createMetricsRegistry, httpServerMetrics, renderMetrics } from '@maestro/tracing-core';
import { median } from '../processes.mjs';

export async function runMetricsScrapeBench({ rounds }) {
  const registry = createMetricsRegistry();
  const metrics = httpServerMetrics(registry);
  for (let route = 0; route < 200; route++) {
    for (const status of ['200', '404', '500']) {
      for (let i = 0; i < 5; i++) {
        metrics.started('GET');
        metrics.observe(
          'GET',
          `/service/resource${route}/:id`,
          status,
          0.001 * (i + 1) * (route % 7),
          '0af7651916cd43dd8448eb211c80319c',
          'b7ad6b7169203331',
        );
      }
    }
  }
  const result = {};
  for (const [format, openMetrics] of [
    ['prometheus', false],
    ['openmetrics', true],
  ]) {
    const times = [];
    let size = 0;
    for (let round = 0; round < rounds; round++) {
      const started = process.hrtime.bigint();
      size = (await renderMetrics(registry.registries(), openMetrics)).length;
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    result[format] = { ms: median(times), kB: size / 1024 };
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runMetricsScrapeBench({ rounds: 20 }));
