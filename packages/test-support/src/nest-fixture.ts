import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.ts';
import { promtoolCheck } from './prometheus-tools.ts';

const SERVER = 2;

async function startApp(main: string, platform: string, receiver: OtlpReceiver) {
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH,
      PLATFORM: platform,
      OTEL_SERVICE_NAME: `fixture-${platform}`,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      // Nothing is exported on schedule: what the receiver gets, the shutdown flush sent.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    new Promise((_, reject) => setTimeout(() => reject(new Error('app did not start')), 20_000)),
  ])) as [string];
  const { listening, entry } = JSON.parse(line) as { listening: string; entry: string };
  return { child, url: listening.replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1'), entry };
}

/**
 * The suite both Nest fixture apps run against their compiled `main.js`: the built package is
 * loaded in the form the app's module system asks for (`expectedEntry`), requests are traced with
 * handler and @Traced spans, /metrics passes promtool, and SIGTERM flushes the queued spans.
 */
export function describeBuiltNestApp(main: string, expectedEntry: RegExp): void {
  describe.each(['express', 'fastify'])('the built app on platform-%s', (platform) => {
    let receiver: OtlpReceiver;
    beforeEach(async () => {
      receiver = await startOtlpReceiver();
    });
    afterEach(() => receiver.close());

    it('uses the package as users get it, traces requests, and flushes pending spans on SIGTERM', async () => {
      const { child, url, entry } = await startApp(main, platform, receiver);
      try {
        expect(entry).toMatch(expectedEntry);
        const response = await fetch(`${url}/api/v1/models/m7`);
        expect(await response.json()).toEqual({ id: 'm7', framework: 'pytorch' });
        expect((await fetch(`${url}/api/v1/models/missing`)).status).toBe(404);
        const metrics = await (await fetch(`${url}/metrics`)).text();
        expect(promtoolCheck(metrics).ok).toBe(true);
        expect(metrics).toContain('route="/api/v1/models/:id",status_code="200"');
        expect(receiver.spans()).toEqual([]);
      } finally {
        const exited = once(child, 'exit');
        const started = Date.now();
        child.kill('SIGTERM');
        await exited;
        expect(Date.now() - started).toBeLessThan(10_000);
      }

      const spans = receiver.spans();
      const servers = spans.filter((span) => span.kind === SERVER);
      expect(servers.map((span) => span.name).sort()).toEqual([
        'GET /api/v1/models/:id',
        'GET /api/v1/models/:id',
      ]);
      const ok = servers.find((span) => span.attributes['http.response.status_code'] === 200)!;
      const missing = servers.find((span) => span.attributes['http.response.status_code'] === 404)!;
      expect(missing.status.code).toBe(0);
      const handler = spans.find(
        (span) => span.name === 'ModelsController.findOne' && span.parentSpanId === ok.spanId,
      );
      const service = spans.find(
        (span) => span.name === 'ModelsService.find' && span.parentSpanId === handler?.spanId,
      );
      expect(handler?.attributes['model.id']).toBe('m7');
      expect(service).toBeDefined();
      expect(ok.resource['service.name']).toBe(`fixture-${platform}`);
    });
  });
}
