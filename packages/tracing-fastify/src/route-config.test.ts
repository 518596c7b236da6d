import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { routeConfigReader } from './route-config.ts';

/** A request look-alike whose routeOptions getter counts its reads. */
function lookAlike(config: object | undefined, context: Record<symbol, unknown> = {}) {
  const counter = { reads: 0 };
  const request = Object.defineProperty({ ...context }, 'routeOptions', {
    get: () => {
      counter.reads++;
      return { url: '/from-options', config };
    },
  }) as unknown as FastifyRequest;
  return { request, counter };
}

describe('routeConfigReader', () => {
  it('reads routeOptions on every request when no context symbol holds the same config', () => {
    const config = { url: '/models/:id' };
    const read = routeConfigReader();
    // A symbol of Fastify's name, holding some other config: not trusted.
    const { request, counter } = lookAlike(config, {
      [Symbol('fastify.context')]: { config: { url: '/x' } },
    });
    expect(read(request)).toBe(config);
    expect(read(request)).toBe(config);
    // Once per request: the first one's read serves both the search and its answer.
    expect(counter.reads).toBe(2);
  });

  it('falls back to routeOptions for a request whose context is missing', () => {
    const contextKey = Symbol('fastify.context');
    const config = { url: '/models/:id' };
    const read = routeConfigReader();
    // A first request without a config settles nothing; the next one with a config does.
    expect(read(lookAlike(undefined).request)).toBeUndefined();
    const first = lookAlike(config, { [contextKey]: { config } });
    expect(read(first.request)).toBe(config);
    expect(first.counter.reads).toBe(1);
    const again = lookAlike(config, { [contextKey]: { config } });
    expect(read(again.request)).toBe(config);
    expect(again.counter.reads).toBe(0);
    const without = lookAlike({ url: '/other' });
    expect(read(without.request)).toEqual({ url: '/other' });
    expect(without.counter.reads).toBe(1);
  });
});
