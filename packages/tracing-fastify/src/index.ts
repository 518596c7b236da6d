export { fastifyTracing, fastifyTracing as default, registerTracingHooks } from './plugin.ts';
export type { FastifyTracingOptions } from './types.ts';
