import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestTracing } from '../testing/index.ts';
import { useTracer } from './active-tracer.ts';
import {
  activeSpan,
  addSpanEvent,
  logContext,
  recordSpanError,
  setSpanAttribute,
  setSpanAttributes,
  traced,
  traceSpan,
} from './helpers.ts';

const testing = createTestTracing();
afterEach(() => testing.reset());
afterAll(() => testing.shutdown());

describe('traceSpan', () => {
  it('runs sync work in an active span and returns its value', () => {
    const result = traceSpan('validate_config', { 'config.epochs': 10 }, (span) => {
      expect(trace.getActiveSpan()).toBe(span);
      return 42;
    });
    expect(result).toBe(42);
    const span = testing.span('validate_config');
    expect(span.attributes).toEqual({ 'config.epochs': 10 });
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('ends an async span when its promise resolves, with children nested', async () => {
    let ended = false;
    const value = await traceSpan('train_model', async () => {
      await traceSpan('epoch_1', () => new Promise((resolve) => setTimeout(resolve, 5)));
      ended = testing.spans().some((span) => span.name === 'train_model');
      return 'model-1';
    });
    expect(value).toBe('model-1');
    expect(ended).toBe(false);
    const parent = testing.span('train_model');
    const child = testing.span('epoch_1');
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
  });

  it('records a thrown error with ERROR status and rethrows the very same error', () => {
    const error = new TypeError('bad config');
    expect(() =>
      traceSpan('validate_config', () => {
        throw error;
      }),
    ).toThrow(error);
    const span = testing.span('validate_config');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad config' });
    expect(span.events[0]?.name).toBe('exception');
    expect(span.events[0]?.attributes?.['exception.type']).toBe('TypeError');
  });

  it('records a rejection and passes the same rejection on', async () => {
    const error = new Error('s3 timeout');
    await expect(traceSpan('fetch_from_s3', () => Promise.reject(error))).rejects.toBe(error);
    expect(testing.span('fetch_from_s3').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('records non-Error throws too', () => {
    expect(() =>
      traceSpan('odd', () => {
        throw 'a string';
      }),
    ).toThrow('a string');
    expect(testing.span('odd').status).toEqual({ code: SpanStatusCode.ERROR, message: 'a string' });
  });
});

describe('traced', () => {
  it('wraps a function so every call gets its own span, keeping this, args and name', async () => {
    const pipeline = {
      prefix: 'run',
      run: traced('ml_pipeline', async function run(this: { prefix: string }, id: number) {
        return `${this.prefix}-${id}`;
      }),
    };
    expect(pipeline.run.name).toBe('run');
    expect(await pipeline.run(1)).toBe('run-1');
    expect(await pipeline.run(2)).toBe('run-2');
    expect(testing.spans().filter((span) => span.name === 'ml_pipeline')).toHaveLength(2);
  });
});

describe('current-span helpers', () => {
  it('add attributes, events and errors to the active span', () => {
    traceSpan('get_model', () => {
      setSpanAttributes({ 'model.id': 'm1', 'model.type': 'pytorch' });
      setSpanAttribute('gpu.count', 4);
      addSpanEvent('checkpoint_saved', { epoch: 50 });
      recordSpanError(new Error('soft failure'));
    });
    const span = testing.span('get_model');
    expect(span.attributes).toEqual({ 'model.id': 'm1', 'model.type': 'pytorch', 'gpu.count': 4 });
    expect(span.events.map((event) => event.name)).toEqual(['checkpoint_saved', 'exception']);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('are harmless outside any span', () => {
    expect(() => {
      setSpanAttributes({ a: 1 });
      addSpanEvent('nothing');
      recordSpanError(new Error('x'));
    }).not.toThrow();
    expect(activeSpan().isRecording()).toBe(false);
    expect(logContext()).toEqual({});
  });

  it('logContext gives pino/winston the ids of the active span', () => {
    traceSpan('log', (span) => {
      expect(logContext()).toEqual({
        trace_id: span.spanContext().traceId,
        span_id: span.spanContext().spanId,
        trace_flags: '01',
      });
    });
  });
});

describe('with tracing disabled', () => {
  it('every helper still runs the work, with a non-recording span, and records nothing', async () => {
    const restore = useTracer(undefined);
    try {
      expect(traceSpan('x', (span) => span.isRecording())).toBe(false);
      expect(await traceSpan('y', { a: 1 }, async () => 'ok')).toBe('ok');
      expect(() =>
        traceSpan('z', () => {
          throw new Error('still thrown');
        }),
      ).toThrow('still thrown');
      expect(await traced('w', async (n: number) => n * 2)(21)).toBe(42);
    } finally {
      restore();
    }
    expect(testing.spans()).toEqual([]);
  });
});
