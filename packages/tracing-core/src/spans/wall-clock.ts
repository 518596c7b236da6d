import { performance } from 'node:perf_hooks';

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
 * millisecond); the checks that follow narrow it, as long as each agrees with the window so far, and
 * the offset is the window's middle. A check that disagrees (the wall clock was stepped, or slewed
 * by NTP past the window) starts a new window. So a time is within a millisecond of the wall clock,
 * as `Date.now()` is, and most often within a few microseconds of it; a stepped clock is followed
 * within a second.
 */
export class WallClock {
  #lowest = Number.NEGATIVE_INFINITY;
  #highest = Number.POSITIVE_INFINITY;
  #offset = 0;
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
    return performanceNow + this.#offset;
  }

  #check(): void {
    const before = performance.now();
    const wall = this.#readWall();
    const after = performance.now();
    this.#checkedAt = after;
    // The wall clock read `wall`, floored to the millisecond, at some monotonic instant between
    // `before` and `after`: the offsets that put that instant inside [wall, wall + 1).
    const lowest = wall - after;
    const highest = wall + 1 - before;
    if (lowest > this.#highest || highest < this.#lowest) {
      this.#lowest = lowest;
      this.#highest = highest;
    } else {
      this.#lowest = Math.max(this.#lowest, lowest);
      this.#highest = Math.min(this.#highest, highest);
    }
    this.#offset = (this.#lowest + this.#highest) / 2;
  }
}

/** The process's one clock: every span and exemplar of the process reads the same offset. */
export const wallClock = new WallClock();
