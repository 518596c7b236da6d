import {
  type Attributes,
  type Context,
  isSpanContextValid,
  type Link,
  type SpanKind,
  trace,
} from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import type { SamplerName } from '../types.ts';
import { compilePathPatterns, type PathMatcher } from './path-pattern.ts';

/** The standard `OTEL_TRACES_SAMPLER` samplers by name. */
export function createSampler(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
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
      Object.entries(routeRatios).map(
        ([route, ratio]) => [route, new TraceIdRatioBasedSampler(ratio)] as const,
      ),
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
    const path = attributes[ATTR_URL_PATH];
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
