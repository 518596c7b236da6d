export {
  DEFAULT_EXCLUDED_PATHS,
  type ResolvedTracingConfig,
  resolveTracingConfig,
} from './config/resolve.ts';
export { contextWithSpan } from './context/linked-context.ts';
export {
  BoundedBatchSpanProcessor,
  type EncodingSpanExporter,
  type SpanBatch,
} from './export/bounded-batch-processor.ts';
export { serializeTraceRequest, TraceRequestEncoder } from './export/otlp-trace-serializer.ts';
export {
  HttpLifecycle,
  type HttpLifecycleAdapter,
  type RequestState,
  type RouteResolver,
  recordRequestError,
  requestState,
} from './http/lifecycle.ts';
export { OVERFLOW_ROUTE, UNMATCHED_ROUTE } from './http/route-labels.ts';
export type { HttpInstrumentationOptions, SlowRequestLog, TenantOptions } from './http/types.ts';
export {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  renderMetrics,
} from './metrics/exposition.ts';
export {
  createMetricsHandler,
  type MetricsEndpointOptions,
  type MetricsServerOptions,
  startMetricsServer,
} from './metrics/handler.ts';
export { HttpServerMetrics, httpServerMetrics } from './metrics/http-metrics.ts';
export {
  type BusinessCounter,
  type BusinessGauge,
  type BusinessHistogram,
  createMetricsRegistry,
  getDefaultMetricsRegistry,
  type HistogramDeclaration,
  HTTP_DURATION_BUCKETS,
  type MetricDeclaration,
  MetricsRegistry,
  type MetricsRegistryOptions,
} from './metrics/registry.ts';
export { createPropagator } from './propagation/propagators.ts';
export { compilePathPatterns, type PathMatcher } from './sampling/path-pattern.ts';
export {
  createSampler,
  ExcludedPaths,
  RouteRatioSampler,
  TraceIdRatioSampler,
} from './sampling/samplers.ts';
export { configureTracing, getTracing, type TracingRuntime } from './setup.ts';
export { INSTRUMENTATION_SCOPE } from './spans/active-tracer.ts';
export {
  activeSpan,
  addSpanEvent,
  type LogTraceContext,
  logContext,
  recordSpanError,
  setSpanAttribute,
  setSpanAttributes,
  traced,
  traceSpan,
} from './spans/helpers.ts';
export { invokeInSpan, recordError, type SpanErrorRecorder } from './spans/run-in-span.ts';
export {
  preserveFunctionIdentity,
  Traced,
  type TracedDecorator,
  type TracedOptions,
} from './spans/traced-decorator.ts';
export type {
  BatchOptions,
  ExporterName,
  ExportStats,
  InstrumentationOptions,
  JaegerAgentOptions,
  LogLevelName,
  OtlpOptions,
  OtlpProtocol,
  PropagatorName,
  SamplerName,
  TracingHandle,
  TracingOptions,
} from './types.ts';
