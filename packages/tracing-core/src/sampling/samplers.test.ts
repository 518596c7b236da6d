import { randomBytes } from 'node:crypto';
import { type Context, ROOT_CONTEXT, type Sampler, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SamplingDecision,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { LeanTracer } from '../spans/lean-tracer.ts';
import { compilePathPatterns } from './path-pattern.ts';
import {
  createSampler,
  ExcludedPaths,
  LeanParentBasedSampler,
  RouteRatioSampler,
  TraceIdRatioSampler,
} from './samplers.ts';

function traceIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    (i * 2654435761 + 12345).toString(16).padStart(32, '0').slice(-32),
  );
}

function sampledShare(sampler: ReturnType<typeof createSampler>, path?: string, ctx = ROOT_CONTEXT): number {
  const ids = traceIds(4000);
  const attributes = path === undefined ? {} : { 'url.path': path };
  const sampled = ids.filter(
    (id) =>
      sampler.shouldSample(ctx, id, 'GET', SpanKind.SERVER, attributes, []).decision ===
      SamplingDecision.RECORD_AND_SAMPLED,
  );
  return sampled.length / ids.length;
}

const sampledParent = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});
const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.NONE,
  isRemote: true,
});

describe('named samplers', () => {
  it('always_on and always_off ignore the parent', () => {
    expect(sampledShare(createSampler('always_on', 1))).toBe(1);
    expect(sampledShare(createSampler('always_off', 1), undefined, sampledParent)).toBe(0);
  });

  it('traceidratio samples about its ratio', () => {
    expect(sampledShare(createSampler('traceidratio', 0.25))).toBeCloseTo(0.25, 1);
  });

  it('parentbased_* follow a remote parent’s decision and use their root sampler otherwise', () => {
    expect(sampledShare(createSampler('parentbased_always_off', 1), undefined, sampledParent)).toBe(1);
    expect(sampledShare(createSampler('parentbased_always_on', 1), undefined, unsampledParent)).toBe(0);
    expect(sampledShare(createSampler('parentbased_traceidratio', 0.5))).toBeCloseTo(0.5, 1);
  });
});

describe('LeanParentBasedSampler', () => {
  /** A context whose active span is one of our own, started with the given decision. */
  function ownParent(decision: SamplingDecision): Context {
    const tracer = new LeanTracer({
      sampler: { shouldSample: () => ({ decision }), toString: () => 'fixed' },
      processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
      resource: resourceFromAttributes({ 'service.name': 'model-registry' }),
      scope: { name: 'test' },
      spanLimits: {},
    });
    return trace.setSpan(ROOT_CONTEXT, tracer.startSpan('GET /models/:id', { kind: SpanKind.SERVER }));
  }
  /** Marks its decision, to tell which delegate decided. */
  const marking = (decision: SamplingDecision, mark: string): Sampler => ({
    shouldSample: () => ({ decision, attributes: { decided_by: mark } }),
    toString: () => mark,
  });
  const configs = {
    defaults: { root: new AlwaysOffSampler() },
    delegates: {
      root: new AlwaysOffSampler(),
      localParentSampled: marking(SamplingDecision.RECORD, 'local-sampled'),
      localParentNotSampled: marking(SamplingDecision.RECORD_AND_SAMPLED, 'local-not-sampled'),
    },
  };
  const parents = {
    sampled: ownParent(SamplingDecision.RECORD_AND_SAMPLED),
    'recorded, not sampled': ownParent(SamplingDecision.RECORD),
    remote: sampledParent,
    none: ROOT_CONTEXT,
  };

  for (const [configName, config] of Object.entries(configs)) {
    for (const [parentName, parent] of Object.entries(parents)) {
      it(`decides as the SDK's ParentBasedSampler (${configName}, parent ${parentName})`, () => {
        const id = '4bf92f3577b34da6a3ce929d0e0e4736';
        const ours = new LeanParentBasedSampler(config);
        const sdk = new ParentBasedSampler(config);
        const decide = (sampler: Sampler) =>
          sampler.shouldSample(parent, id, 'ModelsController.findOne', SpanKind.INTERNAL, {}, []);
        expect(decide(ours)).toEqual(decide(sdk));
        expect(ours.toString()).toBe(sdk.toString());
      });
    }
  }

  it('hands a child of our own unsampled span to localParentNotSampled', () => {
    const sampler = new LeanParentBasedSampler(configs.delegates);
    const result = sampler.shouldSample(
      parents['recorded, not sampled'],
      '4bf92f3577b34da6a3ce929d0e0e4736',
      'child',
      SpanKind.INTERNAL,
      {},
      [],
    );
    expect(result).toEqual({
      decision: SamplingDecision.RECORD_AND_SAMPLED,
      attributes: { decided_by: 'local-not-sampled' },
    });
    expect(createSampler('parentbased_always_on', 1)).toBeInstanceOf(LeanParentBasedSampler);
  });
});

describe('TraceIdRatioSampler', () => {
  it('samples exactly the trace ids the SDK’s TraceIdRatioBased sampler samples', () => {
    const ids = [
      ...Array.from({ length: 5000 }, () => randomBytes(16).toString('hex')),
      'ffffffffffffffffffffffffffffffff',
      '0000000000000000000000000000000f',
      '0AF7651916CD43DD8448EB211C80319C', // upper case: valid for the SDK too
      '00000000000000000000000000000000', // invalid: all zero
      '0af7651916cd43dd8448eb211c80319', // invalid: 31 digits
      '0af7651916cd43dd8448eb211c80319cc',
      '0af7651916cd43dd8448eb211c80319g',
      '0af7651916cd43dd-448eb211c80319c',
      // Just outside each digit range, and non-ASCII characters whose low seven bits are a digit.
      '0af7651916cd43dd8448eb211c80319:',
      '@af7651916cd43dd8448eb211c80319c',
      '0af7651916cd43dd8448eb211c80319`',
      '0af7651916cd43dd8448eb211c80319\u00b0',
      '0af7651916cd43dd8448eb211c8031\u0141c',
      '\u0e30af7651916cd43dd8448eb211c80319c',
      '',
    ];
    for (const ratio of [0, 0.001, 0.1, 0.5, 0.9999, 1, -1, 2, Number.NaN]) {
      const ours = new TraceIdRatioSampler(ratio);
      const sdk = new TraceIdRatioBasedSampler(ratio);
      expect(ours.toString()).toBe(sdk.toString());
      for (const id of ids) {
        expect(ours.shouldSample(ROOT_CONTEXT, id).decision, `${id} at ${ratio}`).toBe(
          sdk.shouldSample(ROOT_CONTEXT, id).decision,
        );
      }
    }
  });
  it('decides on the trace ids our tracer generates as the SDK’s sampler decides on the same ids', () => {
    // The tracer hands the sampler words it read from each new id's random bytes instead of the
    // hex digits: the decisions must be the SDK's all the same, across refills of the byte pool.
    for (const ratio of [0.1, 0.5]) {
      const sdk = new TraceIdRatioBasedSampler(ratio);
      for (const sampler of [
        new TraceIdRatioSampler(ratio),
        createSampler('parentbased_traceidratio', ratio),
      ]) {
        const tracer = new LeanTracer({
          sampler,
          processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
          resource: resourceFromAttributes({ 'service.name': 'model-registry' }),
          scope: { name: '@maestro/tracing-core' },
          spanLimits: {},
        });
        let sampled = 0;
        // 6000 roots take 144 000 random bytes: the 64 KiB pool is refilled twice on the way.
        for (let i = 0; i < 6000; i++) {
          const span = tracer.startSpan('GET', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
          const { traceId } = span.spanContext();
          const expected = sdk.shouldSample(ROOT_CONTEXT, traceId).decision;
          expect(span.isRecording(), `${traceId} at ${ratio}`).toBe(
            expected === SamplingDecision.RECORD_AND_SAMPLED,
          );
          if (span.isRecording()) sampled++;
          span.end();
        }
        expect(sampled / 6000).toBeGreaterThan(ratio - 0.05);
        expect(sampled / 6000).toBeLessThan(ratio + 0.05);
      }
    }
  });
});

describe('RouteRatioSampler', () => {
  const sampler = new RouteRatioSampler(createSampler('parentbased_always_on', 1), {
    '/batch/*': 0,
    '/models/:id': 0.1,
  });

  it('applies the ratio of the matching route to new traces', () => {
    expect(sampledShare(sampler, '/batch/jobs/42')).toBe(0);
    expect(sampledShare(sampler, '/models/42')).toBeCloseTo(0.1, 1);
    expect(sampledShare(sampler, '/experiments')).toBe(1);
  });

  it('never cuts a trace that arrives sampled', () => {
    expect(sampledShare(sampler, '/batch/jobs/42', sampledParent)).toBe(1);
  });

  it('leaves spans without a url.path (child and internal spans) to the configured sampler', () => {
    expect(sampledShare(sampler)).toBe(1);
  });
});

describe('path patterns', () => {
  const matcher = compilePathPatterns<string>([
    ['/health', 'exact'],
    ['/models/:id', 'param'],
    ['/batch/*', 'rest'],
    ['/static*', 'prefix'],
  ]);

  it.each([
    ['/health', 'exact'],
    ['/health/', 'exact'],
    ['/models/42', 'param'],
    ['/models/42/', 'param'],
    ['/batch', 'rest'],
    ['/batch/a/b/c', 'rest'],
    ['/static/app.js', 'prefix'],
    ['/staticfile', 'prefix'],
  ])('%s matches %s', (path, expected) => {
    expect(matcher.match(path)).toBe(expected);
  });

  it.each(['/healthy', '/models', '/models/42/versions', '/batches', '/', ''])(
    '%j matches nothing',
    (path) => {
      expect(matcher.match(path)).toBeUndefined();
    },
  );

  it('treats regular-expression characters in patterns literally', () => {
    const literal = compilePathPatterns([['/v1.0/(x)/:id', true]]);
    expect(literal.match('/v1.0/(x)/7')).toBe(true);
    expect(literal.match('/v1x0/(x)/7')).toBeUndefined();
  });

  it('ExcludedPaths answers for the default health endpoints', () => {
    const excluded = new ExcludedPaths(['/health', '/metrics', '/internal/*']);
    expect(excluded.has('/health')).toBe(true);
    expect(excluded.has('/internal/debug/vars')).toBe(true);
    expect(excluded.has('/models')).toBe(false);
  });
});
