import type { IncomingMessage } from 'node:http';

/** The parts of Express's request we read; identical in Express 4 and 5. */
export interface ExpressRequest extends IncomingMessage {
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
  params?: Record<string, string | string[] | undefined>;
}
