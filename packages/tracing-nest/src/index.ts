export {
  addSpanEvent,
  logContext,
  setSpanAttributes,
  Traced,
  type TracedOptions,
  traced,
  traceSpan,
} from '@maestro/tracing-core';
export { TracingModule } from './tracing.module.ts';
export { TracingService } from './tracing.service.ts';
export type { TracingModuleAsyncOptions, TracingModuleOptions } from './types.ts';
