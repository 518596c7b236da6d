import type { Attributes, TextMapPropagator, Tracer, TracerProvider } from '@opentelemetry/api';
import type { Sampler, SpanExporter, SpanLimits } from '@opentelemetry/sdk-trace-base';

/** Where finished spans go. `otlp` sends OTLP/HTTP to Jaeger's native OTLP port by default. */
export type ExporterName = 'otlp' | 'jaeger' | 'console' | 'memory' | 'none';

/** OTLP/HTTP body encoding: `http/protobuf` (default, smaller and faster) or `http/json`. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** The standard `OTEL_TRACES_SAMPLER` names. */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** The standard `OTEL_PROPAGATORS` names we ship. */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'jaeger' | 'none';

/** Batch export settings; the defaults are the seed's (`max_queue_size=2048`, 5 s delay). */
export interface BatchOptions {
  /** Spans held while waiting for export; beyond it new spans are dropped and counted. Default 2048. */
  maxQueueSize?: number;
  /** Spans per export request. Default 512; never above `maxQueueSize`. */
  maxExportBatchSize?: number;
  /** Delay between two scheduled exports, in ms. Default 5000. */
  scheduledDelayMillis?: number;
  /** Time one export may take before it is abandoned, in ms. Default 30000. */
  exportTimeoutMillis?: number;
}

/** OTLP/HTTP exporter settings. */
export interface OtlpOptions {
  /**
   * Full traces URL. Default `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else `http://localhost:4318/v1/traces`.
   */
  url?: string;
  /** Default `http/protobuf`. */
  protocol?: OtlpProtocol;
  /** Extra request headers (e.g. an auth token). Default from `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS`. */
  headers?: Record<string, string>;
  /** Per-request timeout in ms. Default 10000. */
  timeoutMillis?: number;
}

/** Settings of the legacy Jaeger exporter (Thrift over UDP to a Jaeger agent). */
export interface JaegerAgentOptions {
  /** Default `JAEGER_AGENT_HOST`, else `localhost`. */
  host?: string;
  /** Default `JAEGER_AGENT_PORT`, else 6832. */
  port?: number;
}

/** Which official OpenTelemetry instrumentations to enable for outbound calls and data stores. */
export interface InstrumentationOptions {
  /** Client spans and context injection for `fetch`/undici. Default true. */
  undici?: boolean;
  /** Client spans and context injection for `node:http`/`node:https` requests (never server spans). Default true. */
  http?: boolean;
  /** A child span per PostgreSQL (`pg`) query. Default true. */
  pg?: boolean;
  /** A child span per Redis (`ioredis`) command. Default true. */
  ioredis?: boolean;
}

/** Options of {@link configureTracing}. Every field falls back to its environment variable, then to its default. */
export interface TracingOptions {
  /** Default from `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:node`. */
  serviceName?: string;
  /** `service.version`. Default from `OTEL_RESOURCE_ATTRIBUTES`, else unset. */
  serviceVersion?: string;
  /** `deployment.environment.name`. Default from `OTEL_RESOURCE_ATTRIBUTES`, else `NODE_ENV`, else unset. */
  environment?: string;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Attributes;
  /**
   * Master switch. Default true, unless `TRACING_ENABLED=false`. `OTEL_SDK_DISABLED=true` always
   * wins, so operators can switch tracing off without a code change.
   */
  enabled?: boolean;
  /** Default `OTEL_TRACES_EXPORTER`, else `otlp`. */
  exporter?: ExporterName;
  /** A ready exporter; replaces `exporter` (tests, or a vendor exporter). */
  spanExporter?: SpanExporter;
  otlp?: OtlpOptions;
  jaeger?: JaegerAgentOptions;
  batch?: BatchOptions;
  /** Default `OTEL_TRACES_SAMPLER`, else `parentbased_always_on`. */
  sampler?: SamplerName | Sampler;
  /** Ratio for the `*traceidratio` samplers, 0..1. Default `OTEL_TRACES_SAMPLER_ARG`, else 1. */
  samplerRatio?: number;
  /** Default `OTEL_PROPAGATORS`, else `['tracecontext', 'baggage']`. */
  propagators?: PropagatorName[];
  /** Span limits. Default from the `OTEL_*_LIMIT` variables, else the SDK's defaults. */
  spanLimits?: SpanLimits;
  instrumentations?: InstrumentationOptions;
  /**
   * Request paths that get no span and no metrics. A trailing `*` matches a prefix.
   * Default `TRACING_EXCLUDED_PATHS` (comma-separated), else {@link DEFAULT_EXCLUDED_PATHS}.
   */
  excludePaths?: readonly string[];
  /**
   * Head-sampling ratio per route pattern (`/models/:id`, `/batch/*`), applied to requests that
   * arrive without a sampled parent. Default `TRACING_ROUTE_SAMPLING` (`/a/*=0.1,/b=0.5`), else none.
   */
  routeSampling?: Readonly<Record<string, number>>;
  /** Default `OTEL_LOG_LEVEL`, else `info`. Messages go through OpenTelemetry's `diag` to the console. */
  logLevel?: LogLevelName;
  /**
   * Set the provider, propagator and context manager as OpenTelemetry's globals so that other
   * libraries' instrumentation sees them. Default true.
   */
  registerGlobal?: boolean;
  /** The environment to read; tests pass their own. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

export type LogLevelName = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

/** Live counters of the export pipeline: what a `/metrics` scrape reads for pipeline health. */
export interface ExportStats {
  /** Spans handed to the exporter and acknowledged. */
  readonly exported: number;
  /** Spans dropped because the queue was full. */
  readonly dropped: number;
  /** Spans lost because their export failed or timed out. */
  readonly failed: number;
  /** Spans waiting in the queue now. */
  readonly queued: number;
}

/** What {@link configureTracing} returns. */
export interface TracingHandle {
  /** False when tracing is disabled: then `tracer` is a no-op tracer and nothing is exported. */
  readonly enabled: boolean;
  readonly serviceName: string;
  readonly tracer: Tracer;
  readonly tracerProvider: TracerProvider;
  readonly propagator: TextMapPropagator;
  /** Counters of the export pipeline (all zero when disabled). */
  exportStats(): ExportStats;
  /** One line per bad option or variable, as logged at startup through `diag`. */
  readonly warnings: readonly string[];
  /**
   * Exports everything finished so far. Resolves within `timeoutMillis` (default: the batch
   * export timeout) even if the exporter is down or slow; what did not make it is counted as failed.
   */
  forceFlush(timeoutMillis?: number): Promise<void>;
  /** Flushes (bounded like {@link forceFlush}) and stops; later calls resolve at once. */
  shutdown(timeoutMillis?: number): Promise<void>;
}
