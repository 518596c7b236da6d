import { performance } from 'node:perf_hooks';

/** A `Date.now()` that took longer than this to read is read again: it was interrupted. */
const SLOW_READING_MILLIS = 0.05;
/**
 * Epoch milliseconds near 1.8e12 are doubles exact to about 0.24 µs: a window narrowed to that
 * width can seem to disagree with a check that agrees. Such a check narrows the window to its edge
 * rather than start a new one, which would move times back by up to a millisecond.
 */
const ROUNDING_MILLIS = 0.001;

/**
 * Epoch milliseconds for a `performance.now()` reading, without reading the wall clock each time.
 *
 * A span needs both clocks at its start: the wall clock for when it began, the monotonic one for how
 * long it ran. On the virtual machines services run on, `Date.now()` costs about twice what
 * `performance.now()` does (215 against 100 ns where we benchmark), and a sampled request read it
 * twice (its span's start and its metrics exemplar). The offset between the two clocks is kept
 * instead, checked against `Date.now()` at most once a second.
 *
 * One check bounds the offset to a window a millisecond wide (`Date.now()` is floored to the
 * millisecond); the checks that follow narrow it, as long as each agrees with the window so far. A
 * check that disagrees (the wall clock was stepped) starts a new window, so a stepped clock is
 * followed within a second. The offset used is the window's lower edge: it only grows as the window
 * narrows, so a span started after another never reads as starting before it (a child before its
 * parent), and a time is never later than the wall clock's, nor further behind it than `Date.now()`
 * itself can be. Each check at a new phase of the millisecond narrows the window: after n checks
 * it is about 1/n ms wide, so a service that has run for minutes is within microseconds.
 */
export class WallClock {
  #lowest = Number.NEGATIVE_INFINITY;
  #highest = Number.POSITIVE_INFINITY;
  #checkedAt = Number.NEGATIVE_INFINITY;
  readonly #checkEveryMillis: number;
  readonly #readWall: () => number;

  /** `readWall` and `checkEveryMillis` are for tests, which step the wall clock. */
  constructor(readWall: () => number = Date.now, checkEveryMillis = 1000) {
    this.#readWall = readWall;
    this.#checkEveryMillis = checkEveryMillis;
  }

  /** Epoch milliseconds, fractional, for `performanceNow` (a `performance.now()` just read). */
  epochMillis(performanceNow: number): number {
    if (performanceNow - this.#checkedAt >= this.#checkEveryMillis) this.#check();
    return performanceNow + this.#lowest;
  }

  #check(): void {
    let before: number;
    let wall: number;
    let after: number;
    let attempts = 0;
    // A reading bounds the offset only as tightly as the time it took: one interrupted between its
    // monotonic readings (the thread was descheduled) would leave the lower edge far behind, so it
    // is taken again, a few times at most.
    do {
      before = performance.now();
      wall = this.#readWall();
      after = performance.now();
    } while (after - before > SLOW_READING_MILLIS && ++attempts < 3);
    this.#checkedAt = after;
    // The wall clock read `wall`, floored to the millisecond, at some monotonic instant between
    // `before` and `after`: the offsets that put that instant inside [wall, wall + 1).
    const lowest = wall - after;
    const highest = wall + 1 - before;
    if (lowest > this.#highest + ROUNDING_MILLIS || highest < this.#lowest - ROUNDING_MILLIS) {
      this.#lowest = lowest;
      this.#highest = highest;
    } else {
      this.#lowest = Math.max(this.#lowest, lowest);
      this.#highest = Math.max(this.#lowest, Math.min(this.#highest, highest));
    }
  }
}

/** The process's one clock: every span and exemplar of the process reads the same offset. */
export const wallClock = new WallClock();
