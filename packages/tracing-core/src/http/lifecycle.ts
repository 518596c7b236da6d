import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type Attributes,
  type Baggage,
  type Context,
  context,
  diag,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { contextWithBaggage, contextWithSpan } from '../context/linked-context.ts';
import { type HttpServerMetrics, httpServerMetrics } from '../metrics/http-metrics.ts';
import { getDefaultMetricsRegistry } from '../metrics/registry.ts';
import { ExcludedPaths } from '../sampling/samplers.ts';
import { configureTracing, type TracingRuntime } from '../setup.ts';
import { NOOP_SPAN } from '../spans/helpers.ts';
import {
  endSpanAt,
  performanceStartOf,
  REQUEST_STATE_SLOT,
  setFreshAttributes,
} from '../spans/lean-tracer.ts';
import { wallClock } from '../spans/wall-clock.ts';
import type { TracingHandle, TracingOptions } from '../types.ts';
import { capturableHeaders, redactQuery, sensitiveQueryKeys } from './redaction.ts';
import { RouteLabels, UNMATCHED_ROUTE } from './route-labels.ts';
import { checkTenantValue, normalizeTenantOptions, type TenantRules } from './tenant.ts';
import { TenantBaggage } from './tenant-baggage.ts';
import type { HttpInstrumentationOptions, SlowRequestLog } from './types.ts';

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);
/**
 * A request's state rides on the request itself, in the {@link REQUEST_STATE_SLOT} field our own
 * spans use too; the response finds it through `response.req`, which Node sets on every
 * ServerResponse. Every traced request gains the field at the same point, so they all share one
 * shape, and it is cleared rather than deleted, which would turn the object into a slow dictionary.
 * The WeakMap entry this replaced (a set, a get and a delete per request, with a key young enough
 * to need the collector's ephemeron bookkeeping) cost about 200 ns more per request, measured in one
 * process against the previous build. A symbol from the global registry, so the ESM and CommonJS
 * builds, if both get loaded, agree.
 */
type Slotted = { [REQUEST_STATE_SLOT]?: RequestState | undefined };

/**
 * The state of a request by a recording SERVER span that is not ours, such as one the
 * OpenTelemetry HTTP instrumentation opened: a WeakMap, as a foreign span's shape is not ours to
 * change. Shared through the global symbol registry like the slot; the key names this layout, so a
 * copy of this package that keys requests in a map never shares it.
 */
const FOREIGN_SPAN_STATES_KEY = Symbol.for('@maestro/tracing-core/request-states-by-foreign-span');
const globalSlot = globalThis as { [FOREIGN_SPAN_STATES_KEY]?: WeakMap<Span, RequestState> };
globalSlot[FOREIGN_SPAN_STATES_KEY] ??= new WeakMap();
const FOREIGN_SPAN_STATES = globalSlot[FOREIGN_SPAN_STATES_KEY];

/**
 * Keeps (or, with undefined, forgets) a request's state on the request, and on its response only
 * when that response was built for another request (hand-made in a test, say): Node's own responses
 * reach it through `response.req`.
 */
function setRequestState(
  request: IncomingMessage,
  viaResponse: IncomingMessage,
  state: RequestState | undefined,
): void {
  (request as Slotted)[REQUEST_STATE_SLOT] = state;
  if (viaResponse !== request) (viaResponse as Slotted)[REQUEST_STATE_SLOT] = state;
}

/** Keeps (or, with undefined, forgets) the state of the request a recording SERVER span serves. */
function setSpanState(span: Span, state: RequestState | undefined): void {
  if (REQUEST_STATE_SLOT in span) (span as Slotted)[REQUEST_STATE_SLOT] = state;
  else if (state === undefined) FOREIGN_SPAN_STATES.delete(span);
  else FOREIGN_SPAN_STATES.set(span, state);
}

/** A response by shape: Node's ServerResponse, or a framework's or HTTP/2's look-alike. */
function isResponse(key: IncomingMessage | ServerResponse | Span): key is ServerResponse {
  return typeof (key as { writeHead?: unknown }).writeHead === 'function';
}

/** The key a response's state is found under: its request, or itself when it has none. */
function responseKey(response: ServerResponse): IncomingMessage {
  return (response.req as IncomingMessage | undefined) ?? (response as unknown as IncomingMessage);
}

/** The per-request state the lifecycle keeps while a request is served. */
export interface RequestState {
  /** The SERVER span (non-recording when tracing is off or the request is not sampled). */
  readonly span: Span;
  /** Run the rest of the request in this context so child spans and outbound calls nest. */
  readonly context: Context;
  /** The route template, when the adapter knows it before the response ends. */
  route: string | undefined;
  readonly method: string;
  readonly startedAt: number;
  readonly request: IncomingMessage;
  ended: boolean;
  errorRecorded: boolean;
  /** The validated tenant, for the opt-in per-tenant counter. */
  readonly tenant: string | undefined;
  /** The span belongs to the OpenTelemetry HTTP instrumentation, which ends it. */
  readonly adopted: boolean;
  /** The tracer of the lifecycle that started the request; undefined when tracing is off. */
  readonly tracer: Tracer | undefined;
  /** The `traceresponse` header value, when the response should carry one. */
  readonly traceResponse: string | undefined;
}

/** Validated tenant values, and the context carrying them as baggage when it changed. */
interface TenantValues {
  tenantId: string | undefined;
  userId: string | undefined;
  context: Context | undefined;
}

/** How an adapter reads its framework's route template once the response is done. */
export type RouteResolver = (request: IncomingMessage, response: ServerResponse) => string | undefined;

export interface HttpLifecycleAdapter {
  /** Resolves the route when the response ends (Express knows it only after routing). */
  resolveRoute?: RouteResolver;
  /**
   * The adapter sets the `traceresponse` header ({@link RequestState.traceResponse}) itself, through
   * its framework's own header API. Fastify writes all its headers in one pass unless one was set on
   * the raw response first, which would send every header of the reply through Node's slower
   * per-header path. Default false: the lifecycle sets it on the raw response.
   */
  setsTraceResponseHeader?: boolean;
}

/**
 * A SERVER span's options when the sampler reads no attributes: the span's attributes all come
 * once it is known to record, so nothing is built per request before the decision.
 */
const SERVER_SPAN_OPTIONS: SpanOptions = Object.freeze({ kind: SpanKind.SERVER });

/**
 * The request headers as a propagator reads them. The W3C headers, asked for on every request, are
 * read by name: one lookup site per name stays cheap, where a single `carrier[key]` site seeing
 * every name falls back to V8's generic keyed lookup.
 */
const headerGetter = {
  keys: (carrier: IncomingMessage['headers']) => Object.keys(carrier),
  get(carrier: IncomingMessage['headers'], key: string): string | string[] | undefined {
    switch (key) {
      case 'traceparent':
        return carrier.traceparent;
      case 'tracestate':
        return carrier.tracestate;
      case 'baggage':
        return carrier.baggage;
      default:
        return carrier[key];
    }
  },
};

function isRuntime(value: TracingHandle | TracingOptions | undefined): value is TracingRuntime {
  return value !== undefined && 'excludedPaths' in value && 'tracer' in value;
}

function defaultSlowLogger(line: SlowRequestLog): void {
  process.stderr.write(`${JSON.stringify({ level: 'warn', ...line })}\n`);
}

function hasEntry(baggage: Baggage | undefined, key: string): boolean {
  return baggage?.getEntry(key) !== undefined;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The one HTTP request lifecycle every adapter reuses: server span from the incoming headers,
 * semantic-convention attributes, route template, tenant context, slow requests, redaction,
 * `traceresponse` and the RED metrics. Adapters call {@link HttpLifecycle.start} when a request
 * arrives and run the rest of it in the returned context; the response's `close` ends it once.
 */
export class HttpLifecycle {
  readonly tracing: TracingRuntime;
  readonly metrics: HttpServerMetrics | undefined;
  readonly #excluded: ExcludedPaths;
  readonly #tenant: TenantRules | undefined;
  readonly #tenantLabels: RouteLabels | undefined;
  readonly #routes: RouteLabels;
  readonly #slowThresholdMs: number;
  readonly #slowLogger: (line: SlowRequestLog) => void;
  readonly #headers: readonly string[];
  readonly #sensitiveQuery: ReadonlySet<string>;
  readonly #traceResponse: boolean;
  readonly #legacyAttributes: boolean;
  readonly #requestHook: HttpInstrumentationOptions['requestHook'];
  readonly #resolveRoute: RouteResolver | undefined;
  readonly #adapterSetsTraceResponse: boolean;
  readonly #onClose: (this: ServerResponse) => void;

  constructor(options: HttpInstrumentationOptions = {}, adapter: HttpLifecycleAdapter = {}) {
    this.tracing = isRuntime(options.tracing)
      ? options.tracing
      : (configureTracing(options.tracing as TracingOptions | undefined) as TracingRuntime);
    const metricsOption = options.metrics ?? true;
    this.metrics =
      metricsOption === false
        ? undefined
        : httpServerMetrics(
            (metricsOption === true ? undefined : metricsOption.registry) ?? getDefaultMetricsRegistry(),
          );
    this.#excluded =
      options.excludePaths === undefined
        ? this.tracing.excludedPaths
        : new ExcludedPaths(options.excludePaths);
    this.#tenant = normalizeTenantOptions(options.tenant);
    this.#tenantLabels = this.#tenant?.metricLabel
      ? new RouteLabels(this.#tenant.maxTenantLabels)
      : undefined;
    this.#routes = new RouteLabels(checkPositive('maxRoutes', options.maxRoutes ?? 500));
    const envThreshold = Number(process.env.TRACING_SLOW_REQUEST_THRESHOLD_MS);
    this.#slowThresholdMs = checkPositive(
      'slowRequestThresholdMs',
      options.slowRequestThresholdMs ??
        (Number.isFinite(envThreshold) && envThreshold > 0 ? envThreshold : 1000),
    );
    this.#slowLogger = options.slowRequestLogger ?? defaultSlowLogger;
    const { allowed, refused } = capturableHeaders(options.captureRequestHeaders);
    if (refused.length > 0)
      diag.warn(`captureRequestHeaders: never recording credential headers ${refused.join(', ')}`);
    this.#headers = allowed;
    this.#sensitiveQuery = sensitiveQueryKeys(options.redactQueryParams);
    this.#traceResponse = options.traceResponseHeader ?? true;
    this.#legacyAttributes = (process.env.OTEL_SEMCONV_STABILITY_OPT_IN ?? '')
      .split(',')
      .some((v) => v.trim() === 'http/dup');
    this.#requestHook = options.requestHook;
    this.#resolveRoute = adapter.resolveRoute;
    this.#adapterSetsTraceResponse = adapter.setsTraceResponseHeader ?? false;
    const lifecycle = this;
    this.#onClose = function onClose(this: ServerResponse) {
      const state = (responseKey(this) as Slotted)[REQUEST_STATE_SLOT];
      if (state !== undefined) lifecycle.#end(state, this, !this.writableFinished);
    };
  }

  /** Whether a path gets no span and no metrics. */
  isExcluded(path: string): boolean {
    return this.#excluded.has(path);
  }

  /**
   * Starts tracking a request. Returns undefined for an excluded path; otherwise run the rest of
   * the request inside `state.context`.
   */
  start(
    request: IncomingMessage,
    response: ServerResponse,
    url: string = request.url ?? '/',
  ): RequestState | undefined {
    // A second adapter on the same request (Nest over an Express app that has our middleware too)
    // shares the first one's span: one SERVER span and one count per request.
    const viaResponse = responseKey(response);
    const existing = (viaResponse as Slotted)[REQUEST_STATE_SLOT];
    if (existing !== undefined) return existing;
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (this.#excluded.has(path)) return undefined;

    const rawMethod = request.method ?? 'GET';
    const method = KNOWN_METHODS.has(rawMethod) ? rawMethod : '_OTHER';
    const headers = request.headers;
    const tracingOn = this.tracing.enabled;
    let parent = tracingOn
      ? this.tracing.propagator.extract(ROOT_CONTEXT, headers, headerGetter)
      : context.active();
    const tenant =
      this.#tenant === undefined ? undefined : this.#readTenant(headers, parent, this.#tenant, tracingOn);
    if (tenant?.context !== undefined) parent = tenant.context;

    let span: Span;
    let spanContext: Context;
    let recording = false;
    const adopted = tracingOn ? serverSpanOfHttpInstrumentation(context.active()) : undefined;
    if (adopted !== undefined) {
      // The OpenTelemetry HTTP instrumentation already opened this request's SERVER span: enrich it
      // rather than open a second one. It ends the span itself, on 'finish'.
      span = adopted;
      recording = true;
      span.setAttributes(this.#attributes(request, url, queryAt, path, rawMethod, method, tenant));
      spanContext = tenant?.context === undefined ? context.active() : mergeBaggage(context.active(), parent);
    } else if (tracingOn) {
      // Only what a sampler may read is built before the decision, and only for a sampler that
      // reads attributes: an unsampled request (90 % at a 10 % ratio) never pays for the rest.
      span = this.tracing.tracer.startSpan(
        method,
        this.tracing.samplerReadsAttributes
          ? { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } }
          : SERVER_SPAN_OPTIONS,
        parent,
      );
      recording = span.isRecording();
      if (recording)
        setFreshAttributes(span, this.#attributes(request, url, queryAt, path, rawMethod, method, tenant));
      spanContext = contextWithSpan(parent, span);
    } else {
      span = NOOP_SPAN;
      spanContext = parent;
    }
    let traceResponse: string | undefined;
    if (tracingOn) {
      // Node caches the peer address on the socket when it is first read, which gives the socket a
      // new hidden class. Read for sampled requests only (client.address), it left keep-alive
      // sockets in two shapes and Node's own HTTP code polymorphic, about 0.9 µs on every request of
      // a Fastify server sampled at 10 % (measured side by side); read for every traced request, all
      // sockets share one shape. After the first read it is a cached property.
      void request.socket?.remoteAddress;
      if (this.#traceResponse && !response.headersSent) {
        const ids = span.spanContext();
        const flags = (ids.traceFlags & TraceFlags.SAMPLED) !== 0 ? '-01' : '-00';
        traceResponse = `00-${ids.traceId}-${ids.spanId}${flags}`;
        if (!this.#adapterSetsTraceResponse) response.setHeader('traceresponse', traceResponse);
      }
      if (this.#requestHook !== undefined) {
        try {
          this.#requestHook(span, request);
        } catch (error) {
          diag.error(`requestHook threw; the request goes on: ${String(error)}`);
        }
      }
    }

    const state: RequestState = {
      span,
      context: spanContext,
      route: undefined,
      method,
      // A span of ours read the clock as it started: the request is timed from the same reading.
      startedAt: performanceStartOf(span) ?? performance.now(),
      request,
      ended: false,
      errorRecorded: false,
      tenant: tenant?.tenantId,
      adopted: adopted !== undefined,
      tracer: tracingOn ? this.tracing.tracer : undefined,
      traceResponse,
    };
    setRequestState(request, viaResponse, state);
    // Found by its span only where that span records: nothing is ever added to a non-recording one.
    if (recording) setSpanState(span, state);
    // An adopted span must get its route and status before its owner ends it on 'finish'.
    if (adopted !== undefined) response.prependListener('finish', this.#onClose);
    // 'close' comes once per response, after 'finish' or on an abort: no need for once()'s wrapper.
    response.on('close', this.#onClose);
    this.metrics?.started(method);
    return state;
  }

  /** The request's span attributes, built only for a span that records. */
  #attributes(
    request: IncomingMessage,
    url: string,
    queryAt: number,
    path: string,
    rawMethod: string,
    method: string,
    tenant: TenantValues | undefined,
  ): Attributes {
    const headers = request.headers;
    const attributes: Attributes = {
      'http.request.method': method,
      'url.path': path,
      'url.scheme': (request.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
      'network.protocol.version': request.httpVersion,
    };
    if (method === '_OTHER') attributes['http.request.method_original'] = rawMethod;
    const query = queryAt === -1 ? undefined : redactQuery(url.slice(queryAt + 1), this.#sensitiveQuery);
    if (query !== undefined) attributes['url.query'] = query;
    const host = parseHost(headers.host);
    if (host !== undefined) {
      attributes['server.address'] = host.name;
      attributes['server.port'] = host.port ?? request.socket.localPort ?? 80;
    }
    const client = clientAddress(request);
    if (client !== undefined) attributes['client.address'] = client;
    const userAgent = headers['user-agent'];
    if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
    for (const name of this.#headers) {
      const value = headers[name];
      if (value !== undefined)
        attributes[`http.request.header.${name}`] = Array.isArray(value) ? value : [value];
    }
    if (tenant?.tenantId !== undefined) attributes['tenant.id'] = tenant.tenantId;
    if (tenant?.userId !== undefined) attributes['user.id'] = tenant.userId;
    if (this.#legacyAttributes)
      addLegacyAttributes(attributes, rawMethod, query, path, host, client, userAgent);
    return attributes;
  }

  /** The state of a request this lifecycle started, if any. */
  stateOf(response: ServerResponse): RequestState | undefined {
    return requestState(response);
  }

  /** Records an error thrown while serving the request; the status decides if the span is an error. */
  recordError(response: ServerResponse, error: unknown): void {
    recordRequestError(response, error);
  }

  /** Ends the request now, if the adapter knows before `close`; later calls do nothing. */
  finish(response: ServerResponse): void {
    const state = this.stateOf(response);
    if (state !== undefined) this.#end(state, response, false);
  }

  /**
   * Validates the tenant and user headers (or, downstream, the baggage entries an upstream service
   * sent). Returns undefined when there is nothing to record, which is the common case. The baggage
   * and its context are built once, with both entries, and only when tracing is on: with tracing
   * off no adapter enters the request's context, so a baggage context would go nowhere.
   */
  #readTenant(
    headers: IncomingMessage['headers'],
    parent: Context,
    rules: TenantRules,
    tracingOn: boolean,
  ): TenantValues | undefined {
    const tenantHeader = firstHeader(headers[rules.tenantHeader]);
    const userHeader = firstHeader(headers[rules.userHeader]);
    const upstream: Baggage | undefined = propagation.getBaggage(parent);
    if (tenantHeader === undefined && userHeader === undefined && upstream === undefined) return undefined;
    const tenantId = this.#tenantValue('tenant.id', tenantHeader, upstream, rules);
    const userId = this.#tenantValue('user.id', userHeader, upstream, rules);
    const values: TenantValues = { tenantId, userId, context: undefined };
    if (!tracingOn) return values;
    // What the outgoing baggage must change: a header value replaces (or adds) its entry when it is
    // propagated; an invalid upstream entry is removed rather than passed on.
    const setTenant = tenantHeader !== undefined && tenantId !== undefined && rules.propagate;
    const setUser = userHeader !== undefined && userId !== undefined && rules.propagate;
    const dropTenant =
      tenantHeader === undefined && tenantId === undefined && hasEntry(upstream, 'tenant.id');
    const dropUser = userHeader === undefined && userId === undefined && hasEntry(upstream, 'user.id');
    if (!setTenant && !setUser && !dropTenant && !dropUser) return values;
    let baggage: Baggage;
    if (upstream === undefined) {
      // The common case, a request from outside: one baggage with both entries.
      baggage = new TenantBaggage(setTenant ? tenantId : undefined, setUser ? userId : undefined);
    } else {
      baggage = upstream;
      if (setTenant) baggage = baggage.setEntry('tenant.id', { value: tenantId! });
      else if (dropTenant) baggage = baggage.removeEntry('tenant.id');
      if (setUser) baggage = baggage.setEntry('user.id', { value: userId! });
      else if (dropUser) baggage = baggage.removeEntry('user.id');
    }
    values.context = contextWithBaggage(parent, baggage);
    return values;
  }

  /** A valid tenant or user value from its header, else from upstream baggage; rejections are counted. */
  #tenantValue(
    key: 'tenant.id' | 'user.id',
    fromHeader: string | undefined,
    upstream: Baggage | undefined,
    rules: TenantRules,
  ): string | undefined {
    const value = fromHeader ?? upstream?.getEntry(key)?.value;
    if (value === undefined) return undefined;
    const rejection = checkTenantValue(value, rules);
    if (rejection === undefined) return value;
    // Counted by header and reason only: the raw value is hostile input and goes nowhere.
    this.metrics?.tenantRejected.inc({ header: key, reason: rejection });
    return undefined;
  }

  #end(state: RequestState, response: ServerResponse, aborted: boolean): void {
    if (state.ended) return;
    state.ended = true;
    setRequestState(state.request, responseKey(response), undefined);
    const endedAt = performance.now();
    const durationMs = endedAt - state.startedAt;
    const statusCode = response.statusCode;
    const template = state.route ?? this.#resolveRoute?.(state.request, response);
    const route = template === undefined ? undefined : this.#routes.label(template);
    const routeLabel = route ?? UNMATCHED_ROUTE;
    const { span } = state;
    const ids = span.spanContext();
    const recording = span.isRecording();
    if (recording) setSpanState(span, undefined);
    const sampled = recording && (ids.traceFlags & TraceFlags.SAMPLED) !== 0;

    if (recording) {
      if (route !== undefined) {
        span.updateName(`${state.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      if (aborted && !response.headersSent) {
        span.addEvent('http.request.aborted', undefined, endedAt);
      } else {
        span.setAttribute('http.response.status_code', statusCode);
        if (this.#legacyAttributes) span.setAttribute('http.status_code', statusCode);
      }
      if (statusCode >= 500) {
        if (!state.errorRecorded) span.setAttribute('error.type', String(statusCode));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      if (durationMs > this.#slowThresholdMs) {
        span.addEvent(
          'slow_request',
          { duration_ms: Math.round(durationMs), threshold_ms: this.#slowThresholdMs },
          endedAt,
        );
      }
      // Ended at the reading the metrics use: the span lasts exactly the duration they record.
      if (!state.adopted) endSpanAt(span, endedAt);
    }

    const metricsStatus = aborted && !response.headersSent ? '499' : statusText(statusCode);
    if (this.metrics !== undefined) {
      this.metrics.observe(
        state.method,
        routeLabel,
        metricsStatus,
        durationMs / 1000,
        sampled ? ids.traceId : undefined,
        sampled ? ids.spanId : undefined,
        sampled ? wallClock.epochMillis(endedAt) : undefined,
      );
      if (this.#tenantLabels !== undefined) {
        const tenant = state.tenant === undefined ? 'none' : this.#tenantLabels.label(state.tenant);
        this.metrics.tenantRequests.inc({ tenant });
      }
    }
    if (durationMs > this.#slowThresholdMs) {
      this.metrics?.slow(state.method, routeLabel);
      try {
        this.#slowLogger({
          msg: 'slow request',
          method: state.method,
          route: routeLabel,
          status_code: statusCode,
          duration_ms: Math.round(durationMs),
          threshold_ms: this.#slowThresholdMs,
          ...(isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {}),
        });
      } catch (error) {
        diag.error(`slowRequestLogger threw: ${String(error)}`);
      }
    }
  }
}

/** The recording SERVER span `@opentelemetry/instrumentation-http` made active for this request, if any. */
function serverSpanOfHttpInstrumentation(active: Context): Span | undefined {
  const span = trace.getSpan(active);
  if (span === undefined || !span.isRecording()) return undefined;
  return (span as unknown as { kind?: SpanKind }).kind === SpanKind.SERVER ? span : undefined;
}

/** Tenant baggage we derived, on top of the instrumentation's context. */
function mergeBaggage(active: Context, withTenant: Context): Context {
  const baggage = propagation.getBaggage(withTenant);
  return baggage === undefined ? active : contextWithBaggage(active, baggage);
}

/**
 * The state of the request an adapter started, by its raw request, response or (while it records)
 * SERVER span, whichever lifecycle started it: lets a second layer (NestJS handler spans over the
 * Express middleware, a Fastify request decorator) reach the same span.
 */
export function requestState(key: IncomingMessage | ServerResponse | Span): RequestState | undefined {
  if (isResponse(key)) return (responseKey(key) as Slotted)[REQUEST_STATE_SLOT];
  return (key as Slotted)[REQUEST_STATE_SLOT] ?? FOREIGN_SPAN_STATES.get(key as Span);
}

/** Records an error on the request's SERVER span once; the final status decides whether it is ERROR. */
export function recordRequestError(key: IncomingMessage | ServerResponse | Span, error: unknown): void {
  const state = requestState(key);
  if (state === undefined || state.ended || state.errorRecorded) return;
  state.errorRecorded = true;
  state.span.recordException(error instanceof Error ? error : { name: 'Error', message: String(error) });
  state.span.setAttribute('error.type', error instanceof Error ? error.constructor.name : typeof error);
}

const STATUS_TEXTS: Array<string | undefined> = new Array(1000);

/** The status code as a label value, one string per code rather than one per request. */
function statusText(statusCode: number): string {
  if (!Number.isInteger(statusCode) || statusCode < 0 || statusCode > 999) return String(statusCode);
  let text = STATUS_TEXTS[statusCode];
  if (text === undefined) {
    text = String(statusCode);
    STATUS_TEXTS[statusCode] = text;
  }
  return text;
}

function checkPositive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`${name} must be a positive number, got ${String(value)}`);
  return value;
}

interface ParsedHost {
  readonly name: string;
  readonly port: number | undefined;
}

// Nearly every request to a server names the same host: the last one parsed is kept, as the regular
// expression cost about a twentieth of a sampled request's tracing work.
let lastHost: string | undefined;
let lastParsedHost: ParsedHost | undefined;

function parseHost(host: string | undefined): ParsedHost | undefined {
  if (host === undefined || host.length === 0 || host.length > 300) return undefined;
  if (host !== lastHost) {
    lastParsedHost = parseHostHeader(host);
    lastHost = host;
  }
  return lastParsedHost;
}

function parseHostHeader(host: string): ParsedHost | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(host);
  if (match === null) return undefined;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  return { name: match[1]!, port: port !== undefined && port <= 65535 ? port : undefined };
}

function clientAddress(request: IncomingMessage): string | undefined {
  const forwarded = firstHeader(request.headers['x-forwarded-for']);
  if (forwarded !== undefined) {
    const first = forwarded.split(',', 1)[0]!.trim();
    if (isIP(first) !== 0) return first;
  }
  return request.socket.remoteAddress;
}

/** The seed's Jaeger queries use the pre-1.0 names: emitted too under `OTEL_SEMCONV_STABILITY_OPT_IN=http/dup`. */
function addLegacyAttributes(
  attributes: Attributes,
  method: string,
  query: string | undefined,
  path: string,
  host: ParsedHost | undefined,
  client: string | undefined,
  userAgent: string | undefined,
): void {
  const scheme = attributes['url.scheme'] as string;
  const target = query === undefined ? path : `${path}?${query}`;
  attributes['http.method'] = method;
  attributes['http.target'] = target;
  attributes['http.scheme'] = scheme;
  if (host !== undefined) {
    attributes['http.host'] = host.port === undefined ? host.name : `${host.name}:${host.port}`;
    attributes['http.url'] = `${scheme}://${attributes['http.host']}${target}`;
  } else {
    attributes['http.url'] = target;
  }
  if (client !== undefined) attributes['http.client_ip'] = client;
  if (userAgent !== undefined) attributes['http.user_agent'] = userAgent;
}
