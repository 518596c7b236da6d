import './types.ts';

export { fastifyTracing, fastifyTracing as default } from './plugin.ts';
export type { FastifyTracingOptions } from './types.ts';
