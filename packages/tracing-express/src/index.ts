export { type ExpressApplication, type ExpressTracing, expressTracing } from './middleware.ts';
export { expressRoute } from './route.ts';
export type { ExpressTracingOptions } from './types.ts';
