import type { ExpressRequest } from './internal-types.ts';

/**
 * The full route template of a finished Express request: the mount prefix of every router it went
 * through (`req.baseUrl`) plus the matched route's own path, e.g. `/api/v1` + `/models/:id`.
 * A prefix segment equal to a route parameter's value is put back as `:name`, so routers mounted
 * on parameterised paths (`mergeParams`) do not leak ids into span names and metric labels.
 */
export function expressRoute(request: ExpressRequest): string | undefined {
  const route = request.route;
  if (route === undefined || route.path === undefined) return undefined;
  const routePath = route.path instanceof RegExp ? route.path.toString() : String(route.path);
  const base = request.baseUrl ?? '';
  if (base === '') return routePath;
  return `${templateOf(base, request.params)}${routePath === '/' ? '' : routePath}`;
}

function templateOf(base: string, params: ExpressRequest['params']): string {
  if (params === undefined) return base;
  const byValue = new Map<string, string>();
  for (const name in params) {
    const value = params[name];
    if (typeof value === 'string' && value !== '' && !/^\d+$/.test(name)) byValue.set(value, name);
  }
  if (byValue.size === 0) return base;
  return base
    .split('/')
    .map((segment) => {
      const name = byValue.get(decodeSegment(segment));
      return name === undefined ? segment : `:${name}`;
    })
    .join('/');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
