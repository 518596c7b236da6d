import type { HttpLifecycle } from '@maestro/tracing-core';

/** A string token, so that two copies of this package (or of Nest) still agree on it. */
export const TRACING_MODULE_OPTIONS = 'MAESTRO_TRACING_MODULE_OPTIONS';

/** Where the module keeps the lifecycle it installed on the platform, for shutdown to flush. */
export class TracingRuntimeHolder {
  lifecycle: HttpLifecycle | undefined;
}
