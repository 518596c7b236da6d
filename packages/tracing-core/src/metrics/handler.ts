import { timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  renderMetrics,
  wantsOpenMetrics,
} from './exposition.ts';
import { getDefaultMetricsRegistry, type MetricsRegistry } from './registry.ts';

/** Options of {@link createMetricsHandler} and {@link startMetricsServer}. */
export interface MetricsEndpointOptions {
  /** Default: the process-wide registry the adapters use. */
  registry?: MetricsRegistry;
  /** When set, scrapes must send `Authorization: Bearer <token>`; others get 401. Default: open. */
  bearerToken?: string;
}

function authorized(header: string | undefined, expected: Buffer | undefined): boolean {
  if (expected === undefined) return true;
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A plain Node request handler serving the metrics: Prometheus text by default, OpenMetrics with
 * exemplars when the scraper's `Accept` asks for it. Mount it on the app's port (the adapters do)
 * or serve it on its own with {@link startMetricsServer}.
 */
export function createMetricsHandler(
  options: MetricsEndpointOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const registry = options.registry ?? getDefaultMetricsRegistry();
  const token = options.bearerToken === undefined ? undefined : Buffer.from(options.bearerToken);
  return async (req, res) => {
    if (!authorized(req.headers.authorization, token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      return;
    }
    const openMetrics = wantsOpenMetrics(req.headers.accept);
    try {
      const body = await renderMetrics(registry.registries(), openMetrics);
      res.writeHead(200, {
        'content-type': openMetrics ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE,
      });
      res.end(body);
    } catch (error) {
      diag.error(`rendering /metrics failed: ${String(error)}`);
      res.writeHead(500).end();
    }
  };
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions extends MetricsEndpointOptions {
  /** Default 9464, the OpenTelemetry Prometheus exporter's port. 0 picks a free one. */
  port?: number;
  /** Default `0.0.0.0` so Prometheus can reach it in a pod; use `127.0.0.1` locally. */
  host?: string;
  /** Default `/metrics`. */
  path?: string;
}

/**
 * Serves `/metrics` on a port of its own, away from the app's traffic (and its auth).
 *
 * @example
 * const server = await startMetricsServer({ port: 9464 });
 */
export async function startMetricsServer(options: MetricsServerOptions = {}): Promise<Server> {
  const handler = createMetricsHandler(options);
  const path = options.path ?? '/metrics';
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const pathname = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
    if (pathname !== path || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    void handler(req, res);
  });
  server.listen(options.port ?? 9464, options.host ?? '0.0.0.0');
  await once(server, 'listening');
  return server;
}
