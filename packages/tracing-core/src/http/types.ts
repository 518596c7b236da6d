import type { IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';
import type { MetricsRegistry } from '../metrics/registry.ts';
import type { TracingHandle, TracingOptions } from '../types.ts';

/** Tenant context from request headers (the seed's TenantContextMiddleware). */
export interface TenantOptions {
  /** Header carrying the tenant. Default `x-tenant-id`. */
  tenantHeader?: string;
  /** Header carrying the user. Default `x-user-id`. */
  userHeader?: string;
  /** Longest accepted value. Default 128. */
  maxLength?: number;
  /** Accepted characters. Default letters, digits and `. _ : @ -`, starting with a letter or digit. */
  pattern?: RegExp;
  /** Forward valid values downstream as W3C baggage (`tenant.id`, `user.id`). Default true. */
  propagate?: boolean;
  /** Also count requests per tenant in `http_server_tenant_requests_total`. Default false. */
  metricLabel?: boolean;
  /** Distinct tenants counted before the rest count as `other`. Default 100. */
  maxTenantLabels?: number;
}

/** What the slow-request log line carries; never a raw path or header value. */
export interface SlowRequestLog {
  msg: 'slow request';
  method: string;
  route: string;
  status_code: number;
  duration_ms: number;
  threshold_ms: number;
  trace_id?: string;
  span_id?: string;
}

/** Options every adapter accepts: the whole HTTP request lifecycle, defined once here. */
export interface HttpInstrumentationOptions {
  /**
   * The tracing to use: a handle from `configureTracing`, or options to configure it with.
   * Default: the live handle, else `configureTracing()` from the environment.
   */
  tracing?: TracingHandle | TracingOptions;
  /** RED metrics. `false` turns them off. Default: on, in the process-wide registry. */
  metrics?: boolean | { registry?: MetricsRegistry };
  /**
   * Paths with no span and no metrics. Default: the tracing setup's `excludePaths`
   * (health, metrics, readiness, liveness). The metrics path is always excluded.
   */
  excludePaths?: readonly string[];
  /** Tenant context; `false` turns it off. Default on with {@link TenantOptions} defaults. */
  tenant?: boolean | TenantOptions;
  /** Requests slower than this (ms) get a span event, a counter and one log line. Default `TRACING_SLOW_REQUEST_THRESHOLD_MS`, else 1000. */
  slowRequestThresholdMs?: number;
  /** Receives the slow-request log line. Default: one JSON line on stderr. */
  slowRequestLogger?: (line: SlowRequestLog) => void;
  /** Request headers to record as `http.request.header.<name>`; credentials never are. Default none. */
  captureRequestHeaders?: readonly string[];
  /** Query keys whose values become `REDACTED`, added to the built-in list (tokens, signatures, passwords…). */
  redactQueryParams?: readonly string[];
  /** Send W3C `traceresponse` so a client can find its trace. Default true. */
  traceResponseHeader?: boolean;
  /** Distinct route templates tracked as metric labels before the rest count as `other`. Default 500. */
  maxRoutes?: number;
  /** Runs when the server span starts, e.g. to add attributes; its errors are logged, never thrown. */
  requestHook?: (span: Span, request: IncomingMessage) => void;
}
