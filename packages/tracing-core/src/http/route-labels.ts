/** The one value every request without a matched route shares: 404 scanners cost one series. */
export const UNMATCHED_ROUTE = 'unmatched';
/** What routes beyond the cap share, so a route explosion cannot explode the metrics. */
export const OVERFLOW_ROUTE = 'other';

/**
 * Caps how many distinct values a label takes. Values seen before the cap keep their name; new
 * ones after it become {@link OVERFLOW_ROUTE}. Route templates come from the app's own route
 * table, so the cap only bites when something registers routes dynamically.
 */
export class RouteLabels {
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  label(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.#max) return OVERFLOW_ROUTE;
    this.#seen.add(value);
    return value;
  }
}
