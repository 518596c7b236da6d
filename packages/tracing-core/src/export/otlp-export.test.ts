import { type OtlpReceiver, startOtlpReceiver } from '@maestro/test-support';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTracing } from '../setup.ts';
import { traceSpan } from '../spans/helpers.ts';
import { BoundedBatchSpanProcessor } from './bounded-batch-processor.ts';

describe.each(['http/protobuf', 'http/json'] as const)('OTLP export over %s', (protocol) => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('delivers ids, parents, attributes, events, status and the resource as the schema decodes them', async () => {
    const tracing = startTracing(
      {
        env: {},
        serviceName: 'model-registry',
        serviceVersion: '2.0.0',
        environment: 'staging',
        otlp: { url: receiver.url, protocol },
        instrumentations: { http: false, undici: false, pg: false, ioredis: false },
        registerGlobal: false,
      },
      (exporter, config) => new BoundedBatchSpanProcessor(exporter, config.batch),
    );
    const ids: Record<string, { traceId: string; spanId: string }> = {};
    await traceSpan('POST /models/train', { 'http.request.method': 'POST' }, async (parent) => {
      ids.parent = parent.spanContext();
      await traceSpan('load_training_data', { 'dataset.name': 'iris', 'dataset.rows': 150 }, (child) => {
        ids.child = child.spanContext();
        child.addEvent('checkpoint_saved', { epoch: 50, loss: 0.23 });
      });
      await traceSpan('save_model', () => Promise.reject(new Error('disk full'))).catch(() => {});
    });
    await tracing.forceFlush();
    await tracing.shutdown();

    const spans = await receiver.waitForSpans(3);
    expect(receiver.requests[0]!.contentType).toBe(
      protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
    );
    expect(receiver.requests[0]!.path).toBe('/v1/traces');
    const byName = Object.fromEntries(spans.map((span) => [span.name, span]));
    const parent = byName['POST /models/train']!;
    const child = byName.load_training_data!;
    const failed = byName.save_model!;

    expect(parent.traceId).toBe(ids.parent!.traceId);
    expect(parent.spanId).toBe(ids.parent!.spanId);
    expect(parent.parentSpanId).toBeUndefined();
    expect(child.traceId).toBe(parent.traceId);
    expect(child.spanId).toBe(ids.child!.spanId);
    expect(child.parentSpanId).toBe(parent.spanId);
    expect(failed.parentSpanId).toBe(parent.spanId);

    expect(parent.kind).toBe(SpanKind.INTERNAL + 1);
    expect(child.attributes).toEqual({ 'dataset.name': 'iris', 'dataset.rows': 150 });
    expect(child.events).toEqual([{ name: 'checkpoint_saved', attributes: { epoch: 50, loss: 0.23 } }]);
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'disk full' });
    expect(failed.events[0]!.name).toBe('exception');
    expect(failed.events[0]!.attributes['exception.message']).toBe('disk full');

    expect(parent.resource).toMatchObject({
      'service.name': 'model-registry',
      'service.version': '2.0.0',
      'deployment.environment.name': 'staging',
      'telemetry.sdk.language': 'nodejs',
      'process.pid': process.pid,
    });
    expect(typeof parent.resource['host.name']).toBe('string');
    expect(parent.scope).toBe('@maestro/tracing-core');
    expect(tracing.exportStats()).toMatchObject({ exported: 3, dropped: 0, failed: 0 });
  });
});

describe('OTLP headers', () => {
  it('sends OTEL_EXPORTER_OTLP_HEADERS with every export', async () => {
    const receiver = await startOtlpReceiver();
    const tracing = startTracing(
      {
        env: {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cr%3Dt',
        },
        instrumentations: { http: false, undici: false, pg: false, ioredis: false },
        registerGlobal: false,
      },
      (exporter, config) => new BoundedBatchSpanProcessor(exporter, config.batch),
    );
    traceSpan('one', () => {});
    await tracing.shutdown();
    await receiver.waitForSpans(1);
    expect(receiver.requests[0]!.headers['x-api-key']).toBe('s3cr=t');
    await receiver.close();
  });
});
