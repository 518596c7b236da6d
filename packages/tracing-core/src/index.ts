export {
  DEFAULT_EXCLUDED_PATHS,
  type ResolvedTracingConfig,
  resolveTracingConfig,
} from './config/resolve.ts';
export { BoundedBatchSpanProcessor } from './export/bounded-batch-processor.ts';
export { createPropagator } from './propagation/propagators.ts';
export { compilePathPatterns, type PathMatcher } from './sampling/path-pattern.ts';
export { createSampler, ExcludedPaths, RouteRatioSampler } from './sampling/samplers.ts';
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
export { Traced, type TracedDecorator, type TracedOptions } from './spans/traced-decorator.ts';
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
