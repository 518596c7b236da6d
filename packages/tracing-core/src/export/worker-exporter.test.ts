import { execFile } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startOtlpReceiver } from '@maestro/test-support';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { startTracing } from '../setup.ts';
import { traceSpan } from '../spans/helpers.ts';
import { BoundedBatchSpanProcessor } from './bounded-batch-processor.ts';
import { serializeTraceRequest } from './otlp-trace-serializer.ts';
import { OtlpProtobufWorkerExporter, OtlpWorkerExporter } from './worker-exporter.ts';

const noInstrumentations = { http: false, undici: false, pg: false, ioredis: false };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function finishedSpans(count: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  for (let i = 0; i < count; i++) provider.getTracer('test').startSpan(`span-${i}`).end();
  return memory.getFinishedSpans();
}

function exportOnce(exporter: OtlpWorkerExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

/** A collector that accepts connections and never answers. */
async function silentCollector(): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`;
}

describe('OTLP export from a worker thread', () => {
  it("sends every batch from the worker, so the service's own HTTP client code never runs for it", async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const clientRequests: unknown[] = [];
    const onClientRequest = (message: unknown) => clientRequests.push(message);
    subscribe('http.client.request.start', onClientRequest);
    cleanups.push(() => unsubscribe('http.client.request.start', onClientRequest));
    const tracing = startTracing(
      { env: {}, otlp: { url: receiver.url }, instrumentations: noInstrumentations, registerGlobal: false },
      (exporter, config) => new BoundedBatchSpanProcessor(exporter, config.batch),
    );
    cleanups.push(() => tracing.shutdown());

    for (const name of ['load_features', 'predict', 'store_result']) traceSpan(name, () => {});
    await tracing.forceFlush();

    expect((await receiver.waitForSpans(3)).map((span) => span.name).sort()).toEqual([
      'load_features',
      'predict',
      'store_result',
    ]);
    expect(tracing.exportStats()).toMatchObject({ exported: 3, failed: 0 });
    expect(clientRequests).toHaveLength(0);
    // The channel does report this thread's own client requests.
    await new Promise((resolve) =>
      http.get(receiver.url, (response) => response.resume().on('end', resolve)),
    );
    expect(clientRequests).toHaveLength(1);
  });

  it('holds the process open while an export is in flight, and lets it exit once idle', async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const job = fileURLToPath(new URL('../../test-fixtures/flush-then-idle.mjs', import.meta.url));
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, [job], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: {
        PATH: process.env.PATH,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
        OTEL_LOG_LEVEL: 'warn',
      },
      timeout: 15_000,
    });
    expect(stdout).toBe('flushed\n');
    expect(Date.now() - started).toBeLessThan(10_000);
    const spans = await receiver.waitForSpans(2);
    expect(spans.map((span) => span.name)).toEqual(['purge_expired_models', 'compact_registry']);
    expect(spans[1]?.resource['service.name']).toBe('cleanup-job');
  });

  it('starts its worker with the exporter, before the first span, so a busy first second loses nothing to its start-up', async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const fixtures = fileURLToPath(new URL('../../test-fixtures/', import.meta.url));
    const logDir = await mkdtemp(join(tmpdir(), 'export-worker-'));
    cleanups.push(() => rm(logDir, { recursive: true, force: true }));
    const { stdout } = await promisify(execFile)(process.execPath, [join(fixtures, 'idle-service.cjs')], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: {
        PATH: process.env.PATH,
        NODE_OPTIONS: `--require ${join(fixtures, 'record-preload.cjs')}`,
        PRELOAD_LOG: join(logDir, 'threads.log'),
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
        OTEL_LOG_LEVEL: 'warn',
      },
      timeout: 15_000,
    });
    expect(JSON.parse(stdout)).toEqual({ threads: ['main', 'export worker'] });
    // Started, not used: nothing was sent.
    expect(receiver.requests).toHaveLength(0);
  });

  it('traces only the main thread when NODE_OPTIONS preloads the register entry into every thread', async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const fixtures = fileURLToPath(new URL('../../test-fixtures/', import.meta.url));
    const logDir = await mkdtemp(join(tmpdir(), 'export-worker-'));
    cleanups.push(() => rm(logDir, { recursive: true, force: true }));
    const preloadLog = join(logDir, 'threads.log');
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(fixtures, 'preloaded-job.cjs')],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: {
          PATH: process.env.PATH,
          NODE_OPTIONS: `--require @maestro/tracing-core/register --require ${join(fixtures, 'record-preload.cjs')}`,
          PRELOAD_LOG: preloadLog,
          OTEL_SERVICE_NAME: 'retrain-job',
          OTEL_BSP_SCHEDULE_DELAY: '50',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
          OTEL_LOG_LEVEL: 'warn',
        },
        timeout: 15_000,
      },
    );
    // Should this fail, the threads seen and the job's warnings say why (a worker that died and
    // was replaced says so).
    const log = await readFile(preloadLog, 'utf8');
    const diagnosis = `${log}\njob stderr:\n${stderr}`;
    expect(stdout, diagnosis).toBe('flushed\n');
    // The preloads did reach the export worker and the thread running the ESM loader hooks: what
    // keeps them untraced is the guard, not luck. Traced, the hooks thread started an export worker
    // of its own, which showed here as a second one.
    const threads = log
      .trim()
      .split('\n')
      .map((line) => line.replace(/ #\d+/, ''))
      .sort();
    expect(threads, diagnosis).toEqual(['export worker untraced', 'main traced', 'other worker untraced']);
    expect(stderr).not.toContain('import-in-the-middle');
    // Traced again inside the worker, its own export requests would arrive as client spans, sent
    // by yet another worker.
    const spans = await receiver.waitForSpans(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(2);
    expect(spans.map((span) => span.name)).toEqual(['load_features', 'retrain_model']);
  });

  it('refuses exports beyond its concurrency limit at once while the collector hangs, and times the rest out', async () => {
    const exporter = new OtlpWorkerExporter(
      {
        url: await silentCollector(),
        headers: {},
        timeoutMillis: 400,
        concurrencyLimit: 2,
        protocol: 'http/protobuf',
      },
      serializeTraceRequest,
    );
    cleanups.push(() => exporter.shutdown());
    const spans = finishedSpans(3);
    const first = exportOnce(exporter, spans);
    const second = exportOnce(exporter, spans);
    const refused = await exportOnce(exporter, spans);
    expect(refused.code).toBe(ExportResultCode.FAILED);
    expect(refused.error?.message).toBe('Concurrent export limit reached');

    const started = Date.now();
    for (const result of await Promise.all([first, second])) {
      expect(result.code).toBe(ExportResultCode.FAILED);
      expect(result.error?.message).toMatch(/timeout|timed out/i);
    }
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('fails an export to a refused port within its timeout, and exports again once the collector is up', async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const port = Number(new URL(receiver.url).port);
    await receiver.close();
    const exporter = new OtlpWorkerExporter(
      {
        url: `http://127.0.0.1:${port}/v1/traces`,
        headers: {},
        timeoutMillis: 500,
        concurrencyLimit: 2,
        protocol: 'http/protobuf',
      },
      serializeTraceRequest,
    );
    cleanups.push(() => exporter.shutdown());
    const started = Date.now();
    const refused = await exportOnce(exporter, finishedSpans(2));
    expect(refused.code).toBe(ExportResultCode.FAILED);
    expect(Date.now() - started).toBeLessThan(3000);

    const revived = await startOtlpReceiver();
    cleanups.push(() => revived.close());
    const exporterUp = new OtlpWorkerExporter(
      { url: revived.url, headers: {}, timeoutMillis: 500, concurrencyLimit: 2, protocol: 'http/protobuf' },
      serializeTraceRequest,
    );
    cleanups.push(() => exporterUp.shutdown());
    expect((await exportOnce(exporterUp, finishedSpans(2))).code).toBe(ExportResultCode.SUCCESS);
    expect(await revived.waitForSpans(2)).toHaveLength(2);
  });

  it('fails a batch whose request cannot be built, and sends the next one', async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const exporter = new OtlpProtobufWorkerExporter({
      url: receiver.url,
      headers: {},
      timeoutMillis: 5000,
      concurrencyLimit: 2,
    });
    cleanups.push(() => exporter.shutdown());
    const exportBatch = (spans: ReadableSpan[]) =>
      new Promise<ExportResult>((resolve) => {
        const batch = exporter.newBatch();
        for (const span of spans) batch.add(span);
        exporter.exportBatch(batch, resolve);
      });
    const [span] = finishedSpans(1);
    // Its resource is read only when the request is built, after the span was encoded.
    const hostile = {
      ...span!,
      spanContext: () => span!.spanContext(),
      resource: {
        get attributes(): never {
          throw new Error('a resource that throws');
        },
      },
    } as unknown as ReadableSpan;
    const failed = await exportBatch([hostile]);
    expect(failed.code).toBe(ExportResultCode.FAILED);
    expect(failed.error?.message).toBe('a resource that throws');
    expect((await exportBatch([span!])).code).toBe(ExportResultCode.SUCCESS);
    expect(await receiver.waitForSpans(1)).toHaveLength(1);
  });

  it('fails exports after shutdown instead of starting a new worker', async () => {
    const receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const exporter = new OtlpWorkerExporter(
      { url: receiver.url, headers: {}, timeoutMillis: 500, concurrencyLimit: 2, protocol: 'http/protobuf' },
      serializeTraceRequest,
    );
    expect((await exportOnce(exporter, finishedSpans(1))).code).toBe(ExportResultCode.SUCCESS);
    await exporter.shutdown();
    const late = await exportOnce(exporter, finishedSpans(1));
    expect(late.code).toBe(ExportResultCode.FAILED);
    expect(late.error?.message).toBe('the exporter is shut down');
    expect(receiver.requests).toHaveLength(1);
  });
});
