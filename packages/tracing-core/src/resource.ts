import { hostname } from 'node:os';
import type { Resource } from '@opentelemetry/resources';
import type { ResolvedTracingConfig } from './config/resolve.ts';
import { dependency } from './runtime/dependencies.ts';

/** Service, deployment, host and process attributes: what Jaeger shows under "Process". */
export function buildResource(config: ResolvedTracingConfig): Resource {
  const { defaultResource, resourceFromAttributes } = dependency('@opentelemetry/resources');
  return defaultResource().merge(
    resourceFromAttributes({
      'host.name': hostname(),
      'host.arch': process.arch,
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      ...config.resourceAttributes,
      'service.name': config.serviceName,
    }),
  );
}
