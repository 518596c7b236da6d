import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { WallClock } from './wall-clock.ts';

/** A wall clock `offset` ms from the monotonic one, floored to the millisecond as Date.now() is. */
function wallAt(offset: () => number): () => number {
  return () => Math.floor(performance.now() + offset());
}

/** A clock of that wall clock, checked every 50 µs instead of every second: a minute's checks in a test. */
function checkedOften(offset: () => number): WallClock {
  return new WallClock(wallAt(offset), 0.05);
}

/**
 * Asks the clock for the time for `millis` of monotonic time, as a busy service would. Returns the
 * largest and the last distance of its offset from `trueOffset`, how many times it answered earlier
 * than it had before, and how many times it answered later than the true time.
 */
function askFor(
  clock: WallClock,
  millis: number,
  trueOffset: number,
): { largest: number; last: number; backwards: number; ahead: number } {
  let largest = 0;
  let last = Number.NaN;
  let previous = Number.NEGATIVE_INFINITY;
  let backwards = 0;
  let ahead = 0;
  const until = performance.now() + millis;
  for (let now = performance.now(); now < until; now = performance.now()) {
    const epoch = clock.epochMillis(now);
    last = Math.abs(epoch - now - trueOffset);
    largest = Math.max(largest, last);
    if (epoch < previous) backwards++;
    // 0.001 ms: the rounding of a double near 1.8e12.
    if (epoch > now + trueOffset + 0.001) ahead++;
    previous = epoch;
  }
  return { largest, last, backwards, ahead };
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

  it('narrows from a millisecond to tens of microseconds of the true offset as its checks accumulate', () => {
    const trueOffset = 1_796_000_000_123.25;
    const clock = checkedOften(() => trueOffset);
    const { largest, last } = askFor(clock, 50, trueOffset);
    expect(largest).toBeLessThan(1.01);
    expect(last).toBeLessThan(0.05);
  });

  it('never moves a later time before an earlier one as it narrows, nor ahead of the wall clock', () => {
    // A child span's start, read after its parent's, must not come out before it: the offset may
    // only grow while checks agree. And no time may come out later than the wall clock's.
    const trueOffset = 1_796_000_000_123.25;
    const clock = checkedOften(() => trueOffset);
    const { backwards, ahead } = askFor(clock, 50, trueOffset);
    expect({ backwards, ahead }).toEqual({ backwards: 0, ahead: 0 });
  });

  it('reads the wall clock again when a reading was interrupted, rather than trust a loose bound', () => {
    const trueOffset = 1_796_000_000_000.5;
    let interrupted = true;
    const clock = new WallClock(() => {
      const wall = Math.floor(performance.now() + trueOffset);
      // As if the thread were descheduled for 3 ms just after reading the wall clock.
      for (const until = performance.now() + 3; interrupted && performance.now() < until; );
      interrupted = false;
      return wall;
    });
    const now = performance.now();
    const behind = now + trueOffset - clock.epochMillis(now);
    expect(behind).toBeGreaterThanOrEqual(-0.001);
    expect(behind).toBeLessThan(1);
  });

  it('checks the wall clock at most once per interval, however many times it is asked', () => {
    let reads = 0;
    const clock = new WallClock(() => {
      reads++;
      return Date.now();
    }, 60_000);
    clock.epochMillis(performance.now());
    // One check: one reading, or up to three when the machine interrupts them.
    const readsOfOneCheck = reads;
    expect(readsOfOneCheck).toBeGreaterThanOrEqual(1);
    expect(readsOfOneCheck).toBeLessThanOrEqual(3);
    for (let i = 0; i < 10_000; i++) clock.epochMillis(performance.now());
    expect(reads).toBe(readsOfOneCheck);
  });

  it('follows a wall clock stepped forward or back (NTP) at its next check', () => {
    let trueOffset = 1_796_000_000_000;
    const clock = checkedOften(() => trueOffset);
    expect(askFor(clock, 50, trueOffset).last).toBeLessThan(0.05);
    trueOffset += 3_600_000;
    expect(askFor(clock, 50, trueOffset).last).toBeLessThan(0.05);
    trueOffset -= 3_605_000;
    expect(askFor(clock, 50, trueOffset).last).toBeLessThan(0.05);
  });
});
