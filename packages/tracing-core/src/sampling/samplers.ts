import {
  type Attributes,
  type Context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type SpanKind,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type {
  ParentBasedSampler,
  Sampler,
  SamplingDecision,
  SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import { dependency } from '../runtime/dependencies.ts';
import { generatedTraceIdWords, isLeanSpan } from '../spans/lean-tracer.ts';
import type { SamplerName } from '../types.ts';
import { compilePathPatterns, type PathMatcher } from './path-pattern.ts';

/** The standard `OTEL_TRACES_SAMPLER` samplers by name. */
export function createSampler(name: SamplerName, ratio: number): Sampler {
  const { AlwaysOffSampler, AlwaysOnSampler } = dependency('@opentelemetry/sdk-trace-base');
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioSampler(ratio);
    case 'parentbased_always_on':
      return new LeanParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new LeanParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new LeanParentBasedSampler({ root: new TraceIdRatioSampler(ratio) });
  }
}

type ParentBasedSamplerConfig = ConstructorParameters<typeof ParentBasedSampler>[0];

/**
 * The SDK's ParentBasedSampler, deciding the same, with one shortcut: a parent that is one of our
 * own spans is local and has valid ids by construction, so its sampled flag picks the delegate at
 * once. The SDK re-checks the parent's ids with two regular expressions on every child span
 * (a handler span, `traceSpan`, `@Traced()`); any other parent still goes through it. It wraps the
 * SDK's sampler rather than extending it, so that defining it needs no SDK loaded.
 */
export class LeanParentBasedSampler implements Sampler {
  readonly #sdk: ParentBasedSampler;
  readonly #root: Sampler;
  readonly #localParentSampled: Sampler;
  readonly #localParentNotSampled: Sampler;

  constructor(config: ParentBasedSamplerConfig) {
    const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler } = dependency(
      '@opentelemetry/sdk-trace-base',
    );
    this.#sdk = new ParentBasedSampler(config);
    this.#root = config.root;
    // The SDK's defaults for a local parent.
    this.#localParentSampled = config.localParentSampled ?? new AlwaysOnSampler();
    this.#localParentNotSampled = config.localParentNotSampled ?? new AlwaysOffSampler();
  }

  // Parameters spelled out rather than spread: a rest array and two spreads per span cost more
  // than the decision itself.
  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const parent = context === ROOT_CONTEXT ? undefined : trace.getSpan(context);
    // No parent (every new request): the root decides, as in the SDK, without its second lookup.
    if (parent === undefined)
      return this.#root.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    if (!isLeanSpan(parent))
      return this.#sdk.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    const delegate =
      (parent.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0
        ? this.#localParentSampled
        : this.#localParentNotSampled;
    return delegate.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return this.#sdk.toString();
  }
}

// The SDK's SamplingDecision values, written out so that this module loads without the SDK.
const SAMPLED: SamplingResult = Object.freeze({ decision: 2 as SamplingDecision.RECORD_AND_SAMPLED });
const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: 0 as SamplingDecision.NOT_RECORD });

/** Hex digit values by character code (either case); -1 for every other ASCII character. */
const HEX_DIGITS = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGITS[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_DIGITS[65 + i] = 10 + i;
  HEX_DIGITS[97 + i] = 10 + i;
}

/**
 * The SDK's `TraceIdRatioBased` decision — the same trace ids sampled for the same ratio, so
 * services on either sampler agree — made in one pass over the id, with a table lookup per digit
 * and no branch: it runs for every new trace, most of which a low ratio then drops. (Branching on
 * each character's range cost 190 ns a call, the table 65.) The result objects are shared.
 */
export class TraceIdRatioSampler implements Sampler {
  readonly #ratio: number;
  readonly #upperBound: number;

  constructor(ratio: number) {
    this.#ratio = typeof ratio !== 'number' || Number.isNaN(ratio) ? 0 : Math.min(1, Math.max(0, ratio));
    this.#upperBound = this.#ratio === 1 ? 0x100000000 : Math.floor(this.#ratio * 0xffffffff);
  }

  shouldSample(_context: Context, traceId: string): SamplingResult {
    // A trace id just generated here: its words were read from its random bytes (never all zero).
    const generated = generatedTraceIdWords(traceId);
    if (generated !== -1) return generated < this.#upperBound ? SAMPLED : NOT_SAMPLED;
    if (traceId.length !== 32) return NOT_SAMPLED;
    let accumulation = 0;
    let nonZero = 0;
    // Bits above the seventh end up set for a non-ASCII character (its code) or a non-hex one (-1).
    let invalid = 0;
    for (let i = 0; i < 32; i += 8) {
      let part = 0;
      for (let j = i; j < i + 8; j++) {
        const code = traceId.charCodeAt(j);
        const digit = HEX_DIGITS[code & 127]!;
        invalid |= code | digit;
        part = (part << 4) | (digit & 15);
      }
      nonZero |= part;
      accumulation = (accumulation ^ part) >>> 0;
    }
    if ((invalid & ~127) !== 0) return NOT_SAMPLED;
    // The all-zero id is W3C's invalid trace id.
    return nonZero !== 0 && accumulation < this.#upperBound ? SAMPLED : NOT_SAMPLED;
  }

  toString(): string {
    return `TraceIdRatioBased{${this.#ratio}}`;
  }
}

/**
 * Applies per-route ratios to root SERVER spans, read from the `url.path` the request lifecycle
 * sets before the span starts. A request that continues a remote trace keeps the configured
 * sampler's (normally parent-based) decision, so one trace is never cut in the middle.
 */
export class RouteRatioSampler implements Sampler {
  readonly #fallback: Sampler;
  readonly #routes: PathMatcher<Sampler>;
  readonly #description: string;

  constructor(fallback: Sampler, routeRatios: Readonly<Record<string, number>>) {
    this.#fallback = fallback;
    this.#routes = compilePathPatterns(
      Object.entries(routeRatios).map(([route, ratio]) => [route, new TraceIdRatioSampler(ratio)] as const),
    );
    this.#description = `RouteRatioSampler{${JSON.stringify(routeRatios)}, fallback=${fallback.toString()}}`;
  }

  shouldSample(
    ctx: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const path = attributes['url.path'];
    const parent = trace.getSpanContext(ctx);
    if (typeof path === 'string' && (parent === undefined || !isSpanContextValid(parent))) {
      const routeSampler = this.#routes.match(path);
      if (routeSampler !== undefined) {
        return routeSampler.shouldSample(ctx, traceId, spanName, spanKind, attributes, links);
      }
    }
    return this.#fallback.shouldSample(ctx, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return this.#description;
  }
}

/** Decides, before anything is allocated for a request, whether its path is traced at all. */
export class ExcludedPaths {
  readonly #matcher: PathMatcher<true>;

  constructor(paths: readonly string[]) {
    this.#matcher = compilePathPatterns(paths.map((path) => [path, true] as const));
  }

  has(path: string): boolean {
    return this.#matcher.match(path) === true;
  }
}
