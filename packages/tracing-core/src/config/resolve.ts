import type { Attributes } from '@opentelemetry/api';
import type { Sampler, SpanExporter, SpanLimits } from '@opentelemetry/sdk-trace-base';
import type {
  ExporterName,
  LogLevelName,
  OtlpProtocol,
  PropagatorName,
  SamplerName,
  TracingOptions,
} from '../types.ts';
import {
  ConfigProblems,
  checkNumber,
  checkUrl,
  type Env,
  readBoolean,
  readEnum,
  readKeyValueList,
  readList,
  readNumber,
  readString,
} from './env-parsers.ts';

export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';
export const DEFAULT_EXCLUDED_PATHS: readonly string[] = [
  '/health',
  '/healthz',
  '/metrics',
  '/ready',
  '/readiness',
  '/readyz',
  '/live',
  '/liveness',
  '/livez',
];

const EXPORTERS: readonly ExporterName[] = ['otlp', 'jaeger', 'console', 'memory', 'none'];
const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];
const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
const PROPAGATORS: readonly PropagatorName[] = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'none'];
const LOG_LEVELS: readonly LogLevelName[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];

/** Options after validation and defaults: what the provider and the hot path read. */
export interface ResolvedTracingConfig {
  readonly enabled: boolean;
  readonly serviceName: string;
  readonly resourceAttributes: Attributes;
  readonly exporter: ExporterName;
  readonly spanExporter: SpanExporter | undefined;
  readonly otlp: {
    readonly url: string;
    readonly protocol: OtlpProtocol;
    readonly headers: Readonly<Record<string, string>>;
    readonly timeoutMillis: number;
  };
  readonly jaeger: { readonly host: string; readonly port: number };
  readonly batch: {
    readonly maxQueueSize: number;
    readonly maxExportBatchSize: number;
    readonly scheduledDelayMillis: number;
    readonly exportTimeoutMillis: number;
  };
  readonly sampler: Sampler | { readonly name: SamplerName; readonly ratio: number };
  readonly propagators: readonly PropagatorName[];
  readonly spanLimits: SpanLimits;
  readonly instrumentations: {
    readonly undici: boolean;
    readonly http: boolean;
    readonly pg: boolean;
    readonly ioredis: boolean;
  };
  readonly excludePaths: readonly string[];
  readonly routeSampling: Readonly<Record<string, number>>;
  readonly logLevel: LogLevelName;
  readonly registerGlobal: boolean;
}

export interface ResolveResult {
  config: ResolvedTracingConfig;
  /** One line per bad option or variable, each naming it, what it accepts and the fallback used. */
  problems: string[];
}

/**
 * Merges options, `OTEL_*` variables and the seed's variables. Precedence, highest first:
 * explicit options, the traces-specific `OTEL_*` variable, the generic `OTEL_*` variable,
 * the seed's `TRACING_ENABLED` / `JAEGER_AGENT_*`, built-in defaults. `OTEL_SDK_DISABLED=true`
 * is the one exception: it disables tracing whatever the options say.
 */
export function resolveTracingConfig(options: TracingOptions = {}): ResolveResult {
  const env: Env = options.env ?? process.env;
  const problems = new ConfigProblems();

  const resourceFromEnv = readKeyValueList(env, 'OTEL_RESOURCE_ATTRIBUTES', problems) ?? {};
  const serviceName =
    options.serviceName ??
    readString(env, 'OTEL_SERVICE_NAME') ??
    resourceFromEnv['service.name'] ??
    'unknown_service:node';
  const resourceAttributes: Attributes = { ...resourceFromEnv, ...options.resourceAttributes };
  const environment = options.environment ?? readString(env, 'NODE_ENV');
  if (environment !== undefined && resourceAttributes['deployment.environment.name'] === undefined) {
    resourceAttributes['deployment.environment.name'] = environment;
  }
  if (options.serviceVersion !== undefined) resourceAttributes['service.version'] = options.serviceVersion;

  const sdkDisabled = readBoolean(env, 'OTEL_SDK_DISABLED', problems) === true;
  const enabled = !sdkDisabled && (options.enabled ?? readBoolean(env, 'TRACING_ENABLED', problems) ?? true);

  const jaegerHost = options.jaeger?.host ?? readString(env, 'JAEGER_AGENT_HOST');
  const jaegerPort =
    options.jaeger?.port ??
    readNumber(env, 'JAEGER_AGENT_PORT', { min: 1, max: 65535, integer: true }, 6832, problems) ??
    6832;

  let exporter: ExporterName = options.exporter ?? 'otlp';
  if (options.exporter === undefined) {
    const listed = readList(env, 'OTEL_TRACES_EXPORTER');
    if (listed !== undefined && listed.length > 0) {
      const first = listed[0]!.toLowerCase() as ExporterName;
      if (EXPORTERS.includes(first)) exporter = first;
      else problems.invalid('OTEL_TRACES_EXPORTER', listed[0], `one of ${EXPORTERS.join(', ')}`, 'otlp');
      if (listed.length > 1) {
        problems.note(`OTEL_TRACES_EXPORTER lists ${listed.length} exporters; only "${exporter}" is used.`);
      }
    }
  } else if (!EXPORTERS.includes(exporter)) {
    problems.invalid('exporter', exporter, `one of ${EXPORTERS.join(', ')}`, 'otlp');
    exporter = 'otlp';
  }

  const otlp = resolveOtlp(options, env, jaegerHost, problems);
  const batch = resolveBatch(options, env, problems);
  const sampler = resolveSampler(options, env, problems);
  const propagators = resolvePropagators(options, env, problems);

  const instrumentationDefaults = { undici: true, http: true, pg: true, ioredis: true };
  const instrumentations = { ...instrumentationDefaults, ...options.instrumentations };

  const excludePaths =
    options.excludePaths ?? readList(env, 'TRACING_EXCLUDED_PATHS') ?? DEFAULT_EXCLUDED_PATHS;
  const routeSampling = resolveRouteSampling(options, env, problems);

  const logLevel =
    options.logLevel ?? readEnum(env, 'OTEL_LOG_LEVEL', LOG_LEVELS, 'info', problems) ?? 'info';

  return {
    config: {
      enabled,
      serviceName,
      resourceAttributes,
      exporter,
      spanExporter: options.spanExporter,
      otlp,
      jaeger: { host: jaegerHost ?? 'localhost', port: jaegerPort },
      batch,
      sampler,
      propagators,
      spanLimits: resolveSpanLimits(options, env, problems),
      instrumentations,
      excludePaths,
      routeSampling,
      logLevel,
      registerGlobal: options.registerGlobal ?? true,
    },
    problems: problems.messages,
  };
}

function resolveOtlp(
  options: TracingOptions,
  env: Env,
  jaegerHost: string | undefined,
  problems: ConfigProblems,
): ResolvedTracingConfig['otlp'] {
  let url: string;
  let urlSource: string;
  const tracesEndpoint = readString(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = readString(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (options.otlp?.url !== undefined) {
    [url, urlSource] = [options.otlp.url, 'otlp.url'];
  } else if (tracesEndpoint !== undefined) {
    [url, urlSource] = [tracesEndpoint, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  } else if (baseEndpoint !== undefined) {
    // The generic endpoint is a base: the signal path is appended, as the specification says.
    [url, urlSource] = [`${baseEndpoint.replace(/\/+$/, '')}/v1/traces`, 'OTEL_EXPORTER_OTLP_ENDPOINT'];
  } else if (jaegerHost !== undefined) {
    // The seed pointed JAEGER_AGENT_HOST at Jaeger; Jaeger takes OTLP on 4318 on that same host.
    [url, urlSource] = [`http://${jaegerHost}:4318/v1/traces`, 'JAEGER_AGENT_HOST'];
  } else {
    [url, urlSource] = [DEFAULT_OTLP_TRACES_URL, 'default'];
  }
  url = checkUrl(urlSource, url, DEFAULT_OTLP_TRACES_URL, problems);

  const protocol =
    options.otlp?.protocol ??
    readEnum(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', PROTOCOLS, 'http/protobuf', problems) ??
    readEnum(env, 'OTEL_EXPORTER_OTLP_PROTOCOL', PROTOCOLS, 'http/protobuf', problems) ??
    'http/protobuf';

  const headers = {
    ...readKeyValueList(env, 'OTEL_EXPORTER_OTLP_HEADERS', problems),
    ...readKeyValueList(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', problems),
    ...options.otlp?.headers,
  };

  const timeoutRule = { min: 1, max: 600_000, integer: true };
  const timeoutMillis =
    options.otlp?.timeoutMillis !== undefined
      ? checkNumber('otlp.timeoutMillis', options.otlp.timeoutMillis, timeoutRule, 10_000, problems)
      : (readNumber(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', timeoutRule, 10_000, problems) ??
        readNumber(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', timeoutRule, 10_000, problems) ??
        10_000);

  return { url, protocol, headers, timeoutMillis };
}

function option(
  fromOptions: number | undefined,
  optionName: string,
  env: Env,
  variable: string,
  rule: { min: number; max?: number; integer?: boolean },
  fallback: number,
  problems: ConfigProblems,
): number {
  if (fromOptions !== undefined) return checkNumber(optionName, fromOptions, rule, fallback, problems);
  return readNumber(env, variable, rule, fallback, problems) ?? fallback;
}

function resolveBatch(
  options: TracingOptions,
  env: Env,
  problems: ConfigProblems,
): ResolvedTracingConfig['batch'] {
  const b = options.batch ?? {};
  const positive = { min: 1, integer: true };
  const maxQueueSize = option(
    b.maxQueueSize,
    'batch.maxQueueSize',
    env,
    'OTEL_BSP_MAX_QUEUE_SIZE',
    positive,
    2048,
    problems,
  );
  let maxExportBatchSize = option(
    b.maxExportBatchSize,
    'batch.maxExportBatchSize',
    env,
    'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
    positive,
    512,
    problems,
  );
  if (maxExportBatchSize > maxQueueSize) {
    problems.invalid(
      b.maxExportBatchSize !== undefined ? 'batch.maxExportBatchSize' : 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      maxExportBatchSize,
      `a batch size no larger than the queue size (${maxQueueSize})`,
      maxQueueSize,
    );
    maxExportBatchSize = maxQueueSize;
  }
  const delay = { min: 0, integer: true };
  return {
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis: option(
      b.scheduledDelayMillis,
      'batch.scheduledDelayMillis',
      env,
      'OTEL_BSP_SCHEDULE_DELAY',
      delay,
      5000,
      problems,
    ),
    exportTimeoutMillis: option(
      b.exportTimeoutMillis,
      'batch.exportTimeoutMillis',
      env,
      'OTEL_BSP_EXPORT_TIMEOUT',
      positive,
      30_000,
      problems,
    ),
  };
}

function resolveSampler(
  options: TracingOptions,
  env: Env,
  problems: ConfigProblems,
): ResolvedTracingConfig['sampler'] {
  if (options.sampler !== undefined && typeof options.sampler !== 'string') return options.sampler;
  let name: SamplerName = 'parentbased_always_on';
  if (options.sampler !== undefined) {
    if (SAMPLERS.includes(options.sampler)) name = options.sampler;
    else problems.invalid('sampler', options.sampler, `one of ${SAMPLERS.join(', ')}`, name);
  } else {
    name = readEnum(env, 'OTEL_TRACES_SAMPLER', SAMPLERS, name, problems) ?? name;
  }
  const ratioRule = { min: 0, max: 1 };
  const ratio =
    options.samplerRatio !== undefined
      ? checkNumber('samplerRatio', options.samplerRatio, ratioRule, 1, problems)
      : (readNumber(env, 'OTEL_TRACES_SAMPLER_ARG', ratioRule, 1, problems) ?? 1);
  return { name, ratio };
}

function resolvePropagators(
  options: TracingOptions,
  env: Env,
  problems: ConfigProblems,
): readonly PropagatorName[] {
  const fallback: PropagatorName[] = ['tracecontext', 'baggage'];
  const source = options.propagators !== undefined ? 'propagators' : 'OTEL_PROPAGATORS';
  const requested = options.propagators ?? readList(env, 'OTEL_PROPAGATORS')?.map((p) => p.toLowerCase());
  if (requested === undefined) return fallback;
  const known = requested.filter((p): p is PropagatorName => PROPAGATORS.includes(p as PropagatorName));
  for (const unknown of requested.filter((p) => !known.includes(p as PropagatorName))) {
    problems.invalid(source, unknown, `names among ${PROPAGATORS.join(', ')}`, 'the name is skipped');
  }
  if (known.length === 0) {
    problems.note(`${source} names no known propagator; using ${fallback.join(',')}.`);
    return fallback;
  }
  return known.includes('none') ? [] : known;
}

function resolveSpanLimits(options: TracingOptions, env: Env, problems: ConfigProblems): SpanLimits {
  const count = { min: 0, integer: true };
  const read = (variable: string, fallback: number) =>
    readNumber(env, variable, count, fallback, problems) ?? fallback;
  const generalValueLength = read('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', Number.POSITIVE_INFINITY);
  const generalCount = read('OTEL_ATTRIBUTE_COUNT_LIMIT', 128);
  return {
    attributeValueLengthLimit: read('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', generalValueLength),
    attributeCountLimit: read('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', generalCount),
    eventCountLimit: read('OTEL_SPAN_EVENT_COUNT_LIMIT', 128),
    linkCountLimit: read('OTEL_SPAN_LINK_COUNT_LIMIT', 128),
    attributePerEventCountLimit: read('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 128),
    attributePerLinkCountLimit: read('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 128),
    ...options.spanLimits,
  };
}

function resolveRouteSampling(
  options: TracingOptions,
  env: Env,
  problems: ConfigProblems,
): Readonly<Record<string, number>> {
  const ratioRule = { min: 0, max: 1 };
  const result: Record<string, number> = {};
  if (options.routeSampling !== undefined) {
    for (const [route, ratio] of Object.entries(options.routeSampling)) {
      result[route] = checkNumber(`routeSampling["${route}"]`, ratio, ratioRule, 1, problems);
    }
    return result;
  }
  const entries = readKeyValueList(env, 'TRACING_ROUTE_SAMPLING', problems) ?? {};
  for (const [route, raw] of Object.entries(entries)) {
    const ratio = Number(raw);
    result[route] = checkNumber(
      `TRACING_ROUTE_SAMPLING["${route}"]`,
      Number.isNaN(ratio) ? raw : ratio,
      ratioRule,
      1,
      problems,
    );
  }
  return result;
}
