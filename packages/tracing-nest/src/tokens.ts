/** A string token, so that two copies of this package (or of Nest) still agree on it. */
export const TRACING_MODULE_OPTIONS = 'MAESTRO_TRACING_MODULE_OPTIONS';
