import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startOtlpReceiver } from '@maestro/test-support';
import { type DiagLogger, DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { configureTracing, getTracing } from './setup.ts';
import { traceSpan } from './spans/helpers.ts';
import type { TracingOptions } from './types.ts';

const quiet = { instrumentations: { http: false, undici: false, pg: false, ioredis: false } } as const;

afterEach(async () => {
  await getTracing()?.shutdown();
});

describe('configureTracing', () => {
  it('returns the live handle when called twice, and a fresh one after shutdown', async () => {
    const first = configureTracing({ ...quiet, env: {}, serviceName: 'a', exporter: 'memory' });
    const second = configureTracing({ ...quiet, env: {}, serviceName: 'b', exporter: 'memory' });
    expect(second).toBe(first);
    expect(first.serviceName).toBe('a');
    expect(trace.getTracerProvider()).toBeDefined();
    await first.shutdown();
    await first.shutdown();
    const third = configureTracing({ ...quiet, env: {}, serviceName: 'c', exporter: 'memory' });
    expect(third).not.toBe(first);
    expect(third.serviceName).toBe('c');
  });

  it('registers the provider and propagator globally so other instrumentation sees them', () => {
    const tracing = configureTracing({ ...quiet, env: {}, exporter: 'memory', logLevel: 'none' });
    const span = trace.getTracer('other-library').startSpan('theirs');
    expect(span.isRecording()).toBe(true);
    span.end();
    expect(tracing.enabled).toBe(true);
  });

  it.each([
    ['TRACING_ENABLED=false', { TRACING_ENABLED: 'false' }],
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true' }],
  ])('with %s creates no provider and every helper still works', async (_label, env) => {
    const tracing = configureTracing({ ...quiet, env });
    expect(tracing.enabled).toBe(false);
    expect(tracing.tracer.startSpan('x').isRecording()).toBe(false);
    expect(traceSpan('work', (span) => span.isRecording())).toBe(false);
    expect(await traceSpan('async', async () => 'done')).toBe('done');
    expect(tracing.exportStats()).toEqual({ exported: 0, dropped: 0, failed: 0, queued: 0 });
    await expect(tracing.forceFlush()).resolves.toBeUndefined();
  });

  it('reports bad configuration once, at startup, and keeps working', () => {
    const tracing = configureTracing({
      ...quiet,
      env: { OTEL_TRACES_SAMPLER: 'sometimes' },
      exporter: 'memory',
      registerGlobal: false,
    });
    expect(tracing.warnings).toEqual([
      'OTEL_TRACES_SAMPLER="sometimes" is not valid: expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio; using "parentbased_always_on".',
    ]);
    expect(traceSpan('still works', (span) => span.isRecording())).toBe(true);
  });

  it('bounds forceFlush and shutdown by a timeout when the collector hangs', async () => {
    const tracing = configureTracing({
      ...quiet,
      env: {},
      spanExporter: { export: () => {}, shutdown: () => new Promise(() => {}) },
      registerGlobal: false,
    });
    traceSpan('stuck', () => {});
    const started = Date.now();
    await tracing.forceFlush(100);
    await tracing.shutdown(100);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('applies per-route sampling ratios before the span starts', () => {
    const tracing = configureTracing({
      ...quiet,
      env: {},
      exporter: 'memory',
      registerGlobal: false,
      routeSampling: { '/batch/*': 0 },
    });
    const dropped = tracing.tracer.startSpan('GET', { attributes: { 'url.path': '/batch/1' } });
    const kept = tracing.tracer.startSpan('GET', { attributes: { 'url.path': '/models/1' } });
    expect(dropped.isRecording()).toBe(false);
    expect(kept.isRecording()).toBe(true);
  });
});

describe('legacy Jaeger exporter', () => {
  it('is loaded only on request, warns once with the OTLP equivalent, and sends Thrift over UDP', async () => {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const packet = once(socket, 'message');
    const warnings: string[] = [];
    const logger: DiagLogger = {
      error: (m) => warnings.push(m),
      warn: (m) => warnings.push(m),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    };
    diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    try {
      const tracing = configureTracing({
        ...quiet,
        env: {},
        serviceName: 'legacy-service',
        exporter: 'jaeger',
        jaeger: { host: '127.0.0.1', port: socket.address().port },
        registerGlobal: false,
      });
      traceSpan('legacy_operation', () => {});
      await tracing.forceFlush();
      const [message] = (await packet) as [Buffer];
      expect(message.includes(Buffer.from('legacy_operation'))).toBe(true);
      expect(message.includes(Buffer.from('legacy-service'))).toBe(true);
      expect(tracing.exportStats().exported).toBe(1);
      expect(warnings.filter((w) => w.includes('Jaeger exporter is deprecated'))).toEqual([
        `The Jaeger exporter is deprecated upstream and Jaeger accepts OTLP natively. Equivalent: OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318`,
      ]);
    } finally {
      diag.disable();
      socket.close();
    }
  });
});

describe('a service exporting OTLP, as users run it', () => {
  it('loads the SDK serializer only for http/json: a protobuf service never holds it in memory', async () => {
    const receiver = await startOtlpReceiver();
    const service = fileURLToPath(new URL('../test-fixtures/transformer-modules.mjs', import.meta.url));
    const run = async (protocol: string) => {
      const { stdout } = await promisify(execFile)(process.execPath, [service, receiver.url, protocol], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { PATH: process.env.PATH },
        timeout: 15_000,
      });
      return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { transformerModules: number })
        .transformerModules;
    };
    try {
      expect(await run('http/protobuf')).toBe(0);
      expect(await run('http/json')).toBeGreaterThan(0);
      // Both delivered their span: the serializer loaded late still works.
      const spans = await receiver.waitForSpans(2);
      expect(spans.map((span) => span.name)).toEqual(['warm_cache', 'warm_cache']);
      expect(receiver.requests.map((request) => request.contentType)).toEqual([
        'application/x-protobuf',
        'application/json',
      ]);
    } finally {
      await receiver.close();
    }
  });
});

describe('what a process loads', () => {
  const fixture = fileURLToPath(new URL('../test-fixtures/loaded-packages.mjs', import.meta.url));
  async function loadedPackages(build: 'esm' | 'cjs', options: TracingOptions): Promise<string[]> {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [fixture, build, JSON.stringify(options)],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { PATH: process.env.PATH },
        timeout: 15_000,
      },
    );
    return JSON.parse(stdout) as string[];
  }
  const loadedWhenNeeded = [
    '@opentelemetry/context-async-hooks',
    '@opentelemetry/instrumentation',
    '@opentelemetry/instrumentation-http',
    '@opentelemetry/instrumentation-ioredis',
    '@opentelemetry/instrumentation-pg',
    '@opentelemetry/instrumentation-undici',
    '@opentelemetry/propagator-b3',
    '@opentelemetry/propagator-jaeger',
    '@opentelemetry/resources',
    '@opentelemetry/sdk-trace-base',
  ];

  it.each(['esm', 'cjs'] as const)(
    'with tracing disabled, none of the SDK, context manager or instrumentations (%s)',
    async (build) => {
      const loaded = await loadedPackages(build, { enabled: false });
      expect(loaded).toContain('@opentelemetry/core');
      expect(loaded.filter((name) => loadedWhenNeeded.includes(name))).toEqual([]);
    },
  );

  it.each(['esm', 'cjs'] as const)(
    'with tracing on, the SDK and only the instrumentations and propagators asked for (%s)',
    async (build) => {
      const loaded = await loadedPackages(build, {
        propagators: ['tracecontext', 'jaeger'],
        instrumentations: { http: false, undici: false, pg: true, ioredis: false },
      });
      expect(loaded.filter((name) => loadedWhenNeeded.includes(name))).toEqual([
        '@opentelemetry/context-async-hooks',
        '@opentelemetry/instrumentation',
        '@opentelemetry/instrumentation-pg',
        '@opentelemetry/propagator-jaeger',
        '@opentelemetry/resources',
        '@opentelemetry/sdk-trace-base',
      ]);
    },
  );
});

describe('@maestro/tracing-core/register', () => {
  it('traces an ESM app with no setup code, including its pg queries, and flushes on exit', async () => {
    const receiver = await startOtlpReceiver();
    const app = fileURLToPath(new URL('../test-fixtures/esm-app.mjs', import.meta.url));
    try {
      await promisify(execFile)(process.execPath, ['--import', '@maestro/tracing-core/register', app], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: {
          PATH: process.env.PATH,
          OTEL_SERVICE_NAME: 'nightly-jobs',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
          OTEL_LOG_LEVEL: 'warn',
        },
        timeout: 15_000,
      });
      const spans = await receiver.waitForSpans(2);
      const job = spans.find((span) => span.name === 'nightly_report');
      const query = spans.find((span) => span.attributes['db.system.name'] === 'postgresql');
      expect(job?.resource['service.name']).toBe('nightly-jobs');
      expect(query?.parentSpanId).toBe(job?.spanId);
    } finally {
      await receiver.close();
    }
  });
});
