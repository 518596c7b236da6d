import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/**
 * `fetch` for the test's own requests, kept out of the traces: when a suite turns on the
 * fetch/undici instrumentation, only the app's outbound calls should make CLIENT spans.
 */
export function fetchUntraced(url: string, init?: RequestInit): Promise<Response> {
  return context.with(suppressTracing(context.active()), () => fetch(url, init));
}
