import { describe, expect, it } from 'vitest';
import { RedStore } from './red-store.ts';

describe('RedStore', () => {
  it('keeps one series per method, route and status, and counts requests in flight', () => {
    const store = new RedStore([0.1, 1]);
    const requests: Array<[string, string, string]> = [
      ['GET', '/models/:id', '200'],
      ['POST', '/models/:id', '200'],
      ['GET', '/models/:id', '500'],
      ['GET', '/experiments', '200'],
      ['GET', '/models/:id', '200'],
      // A status built per request (not the shared string) still finds its series.
      ['GET', '/models/:id', String(200)],
    ];
    for (const [method] of requests) store.started(method);
    expect(store.inFlightValues()).toEqual([
      { labels: { method: 'GET' }, value: 5 },
      { labels: { method: 'POST' }, value: 1 },
    ]);
    for (const [method, route, status] of requests)
      store.finished(method, route, status, 0.05, undefined, undefined);

    const counts = store
      .requestValues()
      .map(({ labels, value }) => `${labels.method} ${labels.route} ${labels.status_code} ${value}`)
      .sort();
    expect(counts).toEqual([
      'GET /experiments 200 1',
      'GET /models/:id 200 3',
      'GET /models/:id 500 1',
      'POST /models/:id 200 1',
    ]);
    expect(store.inFlightValues().map(({ value }) => value)).toEqual([0, 0]);
    const histogramCounts = store
      .durationValues()
      .filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))
      .map((v) => v.value)
      .sort();
    expect(histogramCounts).toEqual([1, 1, 1, 3]);
  });
});
