import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { WallClock } from './wall-clock.ts';

/** A wall clock `offset` ms from the monotonic one, floored to the millisecond as Date.now() is. */
function wallAt(offset: () => number): () => number {
  return () => Math.floor(performance.now() + offset());
}

/**
 * Asks the clock for the time for `millis` of monotonic time, as a busy service would, and returns
 * the largest and the last distance of its offset from `trueOffset`.
 */
function askFor(clock: WallClock, millis: number, trueOffset: number): { largest: number; last: number } {
  let largest = 0;
  let last = Number.NaN;
  const until = performance.now() + millis;
  for (let now = performance.now(); now < until; now = performance.now()) {
    last = Math.abs(clock.epochMillis(now) - now - trueOffset);
    largest = Math.max(largest, last);
  }
  return { largest, last };
}

describe('WallClock', () => {
  it('stays within a millisecond of Date.now(), as Date.now() is of the time', () => {
    const clock = new WallClock();
    for (let i = 0; i < 1000; i++) {
      const before = Date.now();
      const epoch = clock.epochMillis(performance.now());
      const after = Date.now();
      expect(epoch).toBeGreaterThan(before - 1);
      expect(epoch).toBeLessThan(after + 2);
    }
  });

  it('narrows to within microseconds of the true offset as its checks accumulate', () => {
    const trueOffset = 1_796_000_000_123.25;
    const clock = new WallClock(
      wallAt(() => trueOffset),
      0.05,
    );
    const { largest, last } = askFor(clock, 50, trueOffset);
    expect(largest).toBeLessThan(1.01);
    expect(last).toBeLessThan(0.02);
  });

  it('reads the wall clock at most once per interval, however many times it is asked', () => {
    let reads = 0;
    const clock = new WallClock(() => {
      reads++;
      return Date.now();
    }, 60_000);
    for (let i = 0; i < 10_000; i++) clock.epochMillis(performance.now());
    expect(reads).toBe(1);
  });

  it('follows a wall clock stepped forward or back (NTP) at its next check', () => {
    let trueOffset = 1_796_000_000_000;
    const clock = new WallClock(
      wallAt(() => trueOffset),
      0.05,
    );
    expect(askFor(clock, 50, trueOffset).last).toBeLessThan(0.02);
    trueOffset += 3_600_000;
    expect(askFor(clock, 50, trueOffset).last).toBeLessThan(0.02);
    trueOffset -= 3_605_000;
    expect(askFor(clock, 50, trueOffset).last).toBeLessThan(0.02);
  });
});
