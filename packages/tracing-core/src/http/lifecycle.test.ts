import http, { IncomingMessage, ServerResponse } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { exemplarTimestamp, sampleValue } from '@maestro/test-support';
import { context, propagation, type Sampler, SamplingDecision } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { renderMetrics } from '../metrics/exposition.ts';
import { createMetricsRegistry } from '../metrics/registry.ts';
import { REQUEST_STATE_SLOT } from '../spans/lean-tracer.ts';
import { createTestTracing } from '../testing/index.ts';
import { HttpLifecycle, requestState } from './lifecycle.ts';

/** Samples the requests for /sampled, as a ratio sampler would pick some of a service's requests. */
const samplesOnePath: Sampler = {
  shouldSample: (_context, _traceId, _name, _kind, attributes) => ({
    decision:
      attributes['url.path'] === '/sampled'
        ? SamplingDecision.RECORD_AND_SAMPLED
        : SamplingDecision.NOT_RECORD,
  }),
  toString: () => 'SamplesOnePath',
};

const testing = createTestTracing({ sampler: samplesOnePath });
afterAll(() => testing.shutdown());

describe('HttpLifecycle on a plain node:http server', () => {
  it('leaves the sockets of sampled and unsampled requests with the same own properties', async () => {
    const lifecycle = new HttpLifecycle({ tracing: testing.tracing, metrics: false });
    const socketKeys = new Map<string, string[]>();
    const server = http.createServer((request, response) => {
      lifecycle.start(request, response);
      // What Node's own code then sees: a socket whose hidden class depends on its properties.
      socketKeys.set(request.url ?? '', Object.keys(request.socket));
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      for (const path of ['/sampled', '/not-sampled']) {
        await new Promise((resolve, reject) =>
          http
            .get({ host: '127.0.0.1', port, path, agent: false }, (response) =>
              response.resume().on('end', resolve),
            )
            .on('error', reject),
        );
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }

    expect(testing.spans().map((span) => span.attributes['url.path'])).toEqual(['/sampled']);
    expect(testing.spans()[0]?.attributes['client.address']).toBe('127.0.0.1');
    expect(socketKeys.get('/not-sampled')).toEqual(socketKeys.get('/sampled'));
  });

  it('finds a request by its request, its response and its recording span until the response closes', async () => {
    const lifecycle = new HttpLifecycle({ tracing: testing.tracing, metrics: false });
    const states: Array<ReturnType<typeof requestState>> = [];
    const server = http.createServer((request, response) => {
      const state = lifecycle.start(request, response);
      states.push(requestState(request), requestState(response), state && requestState(state.span));
      expect(states.every((found) => found === state)).toBe(true);
      response.on('close', () =>
        states.push(requestState(request), requestState(response), state && requestState(state.span)),
      );
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await fetch(`http://127.0.0.1:${port}/sampled`).then((response) => response.text());
      await testing.waitForSpans(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(states).toHaveLength(6);
    expect(states[0]?.method).toBe('GET');
    // Ended on 'close' (our listener runs first): forgotten by all three keys.
    expect(states.slice(3)).toEqual([undefined, undefined, undefined]);
    testing.reset();
  });

  it('leaves every traced request, sampled or not, with the same own keys once it is done', async () => {
    const lifecycle = new HttpLifecycle({ tracing: testing.tracing, metrics: false });
    const keysByPath = new Map<string, Array<string | symbol>>();
    const server = http.createServer((request, response) => {
      lifecycle.start(request, response);
      response.on('close', () => keysByPath.set(request.url ?? '', Reflect.ownKeys(request)));
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      for (const path of ['/sampled', '/not-sampled']) {
        await fetch(`http://127.0.0.1:${port}${path}`).then((response) => response.text());
      }
      await testing.waitForSpans(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // The state's field is cleared, not deleted: a deleted property would leave the request a
    // dictionary-mode object, and requests in two shapes would make Node's own code polymorphic.
    expect(keysByPath.get('/sampled')).toContain(REQUEST_STATE_SLOT);
    expect(keysByPath.get('/not-sampled')).toEqual(keysByPath.get('/sampled'));
    testing.reset();
  });

  it('reads server.address and server.port from the Host header of each request', () => {
    const lifecycle = new HttpLifecycle({ tracing: testing.tracing, metrics: false });
    const hosts = [
      'models.internal:8443',
      'models.internal:8443',
      '[::1]:3000',
      'bad host!',
      'models.internal:8443',
      'gpu-7',
    ];
    for (const host of hosts) {
      const request = new IncomingMessage(new Socket());
      request.method = 'GET';
      request.url = '/sampled';
      request.headers = { host };
      const response = new ServerResponse(request);
      lifecycle.start(request, response);
      lifecycle.finish(response);
    }
    expect(
      testing.spans().map(({ attributes }) => [attributes['server.address'], attributes['server.port']]),
    ).toEqual([
      ['models.internal', 8443],
      ['models.internal', 8443],
      ['[::1]', 3000],
      // A malformed Host names no server; the next request's is read afresh.
      [undefined, undefined],
      ['models.internal', 8443],
      // No port in the header: the port the socket accepted on, here none, so HTTP's default.
      ['gpu-7', 80],
    ]);
    testing.reset();
  });

  it('keeps the state of a response made for another request under that response', () => {
    const lifecycle = new HttpLifecycle({ tracing: testing.tracing, metrics: false });
    const request = new IncomingMessage(new Socket());
    request.method = 'GET';
    request.url = '/not-sampled';
    request.headers = {};
    const response = new ServerResponse(new IncomingMessage(new Socket()));
    const state = lifecycle.start(request, response);
    expect(state).toBeDefined();
    expect(requestState(request)).toBe(state);
    expect(requestState(response)).toBe(state);
    lifecycle.finish(response);
    expect(requestState(request)).toBeUndefined();
    expect(requestState(response)).toBeUndefined();
  });
});

/** A request as Node hands it over, with only the headers given. */
function incoming(url: string, headers: IncomingMessage['headers']): IncomingMessage {
  const request = new IncomingMessage(new Socket());
  request.method = 'GET';
  request.url = url;
  request.headers = headers;
  return request;
}

async function rejectedTenantValues(lifecycle: HttpLifecycle): Promise<Record<string, number>> {
  const { values } = await lifecycle.metrics!.tenantRejected.get();
  return Object.fromEntries(values.map(({ labels, value }) => [`${labels.header}/${labels.reason}`, value]));
}

describe('HttpLifecycle tenant context', () => {
  it('sends a valid tenant and user on as baggage, keeping upstream entries and dropping an invalid one', async () => {
    const lifecycle = new HttpLifecycle({
      tracing: testing.tracing,
      metrics: { registry: createMetricsRegistry({ defaultMetrics: false }) },
    });
    // Downstream of another service: its baggage names a tenant that fails validation, and a region.
    const request = incoming('/sampled', { baggage: 'tenant.id=bad%20value!,region=eu', 'x-user-id': 'u-7' });
    const response = new ServerResponse(request);
    const state = lifecycle.start(request, response)!;

    const entries = propagation.getBaggage(state.context)?.getAllEntries();
    expect(entries?.map(([key, entry]) => [key, entry.value])).toEqual([
      ['region', 'eu'],
      ['user.id', 'u-7'],
    ]);
    expect(state.tenant).toBeUndefined();
    expect(await rejectedTenantValues(lifecycle)).toEqual({ 'tenant.id/invalid_characters': 1 });
    lifecycle.finish(response);
    expect(testing.spans()[0]?.attributes['user.id']).toBe('u-7');
    testing.reset();
  });

  it('builds one baggage with both entries for a request from outside', () => {
    const lifecycle = new HttpLifecycle({ tracing: testing.tracing, metrics: false });
    const request = incoming('/not-sampled', { 'x-tenant-id': 'acme', 'x-user-id': 'u-7' });
    const response = new ServerResponse(request);
    const state = lifecycle.start(request, response)!;

    const baggage = propagation.getBaggage(state.context);
    expect(baggage?.getAllEntries().map(([key, entry]) => [key, entry.value])).toEqual([
      ['tenant.id', 'acme'],
      ['user.id', 'u-7'],
    ]);
    lifecycle.finish(response);
  });

  it('with tracing off, validates and counts the tenant but builds no baggage nobody would carry', async () => {
    const disabled = createTestTracing({ enabled: false });
    try {
      const lifecycle = new HttpLifecycle({
        tracing: disabled.tracing,
        metrics: { registry: createMetricsRegistry({ defaultMetrics: false }) },
      });
      const request = incoming('/sampled', { 'x-tenant-id': 'acme', 'x-user-id': 'no spaces allowed' });
      const response = new ServerResponse(request);
      const state = lifecycle.start(request, response)!;

      expect(state.tenant).toBe('acme');
      expect(await rejectedTenantValues(lifecycle)).toEqual({ 'user.id/invalid_characters': 1 });
      // No adapter enters a request's context when tracing is off: it is the active one, unchanged.
      expect(state.context).toBe(context.active());
      expect(propagation.getBaggage(state.context)).toBeUndefined();
      lifecycle.finish(response);
    } finally {
      await disabled.shutdown();
    }
  });
});

describe('HttpLifecycle with a sampler chosen by name', () => {
  /** Serves each path through the lifecycle on a real server and returns the finished spans. */
  async function serve(named: ReturnType<typeof createTestTracing>, paths: string[], recorded: number) {
    const lifecycle = new HttpLifecycle({ tracing: named.tracing, metrics: false });
    const server = http.createServer((request, response) => {
      lifecycle.start(request, response);
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      for (const path of paths) {
        await fetch(`http://127.0.0.1:${port}${path}`).then((response) => response.text());
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    return named.waitForSpans(recorded);
  }

  it('still gives the SERVER span its method and path, which the sampler never needed', async () => {
    const named = createTestTracing({ sampler: 'parentbased_always_on' });
    try {
      // The case this covers: no start attributes are built for a sampler that reads none.
      expect(named.tracing.samplerReadsAttributes).toBe(false);
      const [span] = await serve(named, ['/models/7?tab=runs'], 1);
      expect(span?.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.path': '/models/7',
        'url.query': 'tab=runs',
        'http.response.status_code': 200,
      });
    } finally {
      await named.shutdown();
    }
  });

  it('hands route ratios the request path, so a route sampled at 0 records nothing', async () => {
    const named = createTestTracing({ sampler: 'always_on', routeSampling: { '/batch/*': 0 } });
    try {
      const spans = await serve(named, ['/batch/1', '/models/1', '/batch/2'], 1);
      expect(spans.map((span) => span.attributes['url.path'])).toEqual(['/models/1']);
    } finally {
      await named.shutdown();
    }
  });
});

describe('HttpLifecycle timing', () => {
  it('times a sampled request once: its span lasts what its histogram records, and its exemplar is stamped at its end', async () => {
    const named = createTestTracing({ sampler: 'always_on' });
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const lifecycle = new HttpLifecycle({ tracing: named.tracing, metrics: { registry: metrics } });
    const server = http.createServer((request, response) => {
      lifecycle.start(request, response);
      setTimeout(() => response.end('ok'), 5);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await fetch(`http://127.0.0.1:${port}/models/7`).then((response) => response.text());
      const [span] = await named.waitForSpans(1);
      const text = await renderMetrics(metrics.registries(), true);

      const spanSeconds = span!.duration[0] + span!.duration[1] / 1e9;
      const recordedSeconds = sampleValue(text, 'http_server_request_duration_seconds_sum');
      expect(spanSeconds).toBeGreaterThan(0.004);
      // To the nanosecond the span's duration is rounded to: the two come from the same two readings.
      expect(Math.abs(spanSeconds - recordedSeconds!)).toBeLessThan(2e-9);

      const exemplarSeconds = exemplarTimestamp(text, 'http_server_request_duration_seconds_bucket');
      const spanEndSeconds = span!.endTime[0] + span!.endTime[1] / 1e9;
      // A double holds epoch seconds to about a quarter of a microsecond.
      expect(Math.abs(exemplarSeconds! - spanEndSeconds)).toBeLessThan(1e-6);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await named.shutdown();
    }
  });
});
