import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * The official OTLP protobuf schema, compiled. `@opentelemetry/otlp-transformer` releases up to
 * 0.205 ship it as `generated/root.js`; later ones serialize by hand, so we pin the older one.
 */
interface ProtoMessage {
  decode(buffer: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
}
const root = createRequire(import.meta.url)('otlp-proto-schema/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoMessage } } } } };
};
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
};
type KeyValue = { key: string; value?: AnyValue };
interface WireSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
  events?: Array<{ name: string; attributes?: KeyValue[] }>;
  status?: { code?: number | string; message?: string };
}
interface WireRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: WireSpan[] }>;
  }>;
}

/** One span as the receiver decoded it, with ids in lower-case hex as Jaeger shows them. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
  status: { code: number; message: string | undefined };
  resource: Record<string, unknown>;
  scope: string | undefined;
}

export interface ReceivedRequest {
  contentType: string | undefined;
  path: string | undefined;
  headers: IncomingMessage['headers'];
  spans: ReceivedSpan[];
}

export interface OtlpReceiver {
  /** The traces URL to point an exporter at. */
  readonly url: string;
  /** Spans received so far (also when `store` is off). */
  spanCount(): number;
  readonly requests: ReceivedRequest[];
  spans(): ReceivedSpan[];
  waitForSpans(count: number, timeoutMillis?: number): Promise<ReceivedSpan[]>;
  /** Answer the next requests with this status (e.g. 503 to play a sick collector). */
  respondWith(status: number): void;
  close(): Promise<void>;
}

function toValue(value: AnyValue | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(toValue);
  return undefined;
}

function toAttributes(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, toValue(value)]));
}

const STATUS_CODES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

function flatten(request: WireRequest): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = toAttributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const code = span.status?.code;
        spans.push({
          traceId: span.traceId.toLowerCase(),
          spanId: span.spanId.toLowerCase(),
          parentSpanId: span.parentSpanId ? span.parentSpanId.toLowerCase() : undefined,
          name: span.name,
          kind: span.kind,
          attributes: toAttributes(span.attributes),
          events: (span.events ?? []).map((event) => ({
            name: event.name,
            attributes: toAttributes(event.attributes),
          })),
          status: {
            code: typeof code === 'string' ? (STATUS_CODES[code] ?? 0) : (code ?? 0),
            message: span.status?.message || undefined,
          },
          resource,
          scope: scopeSpans.scope?.name,
        });
      }
    }
  }
  return spans;
}

/** Decodes one OTLP/protobuf ExportTraceServiceRequest body with the official schema. */
export function decodeTraceRequest(body: Uint8Array): ReceivedSpan[] {
  return flatten(decode(Buffer.from(body), undefined));
}

function decode(body: Buffer, contentType: string | undefined): WireRequest {
  if (contentType?.includes('json')) return JSON.parse(body.toString('utf8')) as WireRequest;
  const message = ExportTraceServiceRequest.decode(body);
  const object = ExportTraceServiceRequest.toObject(message, {
    longs: String,
    enums: Number,
    bytes: String,
    defaults: false,
  }) as WireRequest;
  // protobufjs renders bytes as base64; Jaeger and W3C headers use hex.
  for (const rs of object.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const span of ss.spans ?? []) {
        span.traceId = Buffer.from(span.traceId, 'base64').toString('hex');
        span.spanId = Buffer.from(span.spanId, 'base64').toString('hex');
        if (span.parentSpanId) span.parentSpanId = Buffer.from(span.parentSpanId, 'base64').toString('hex');
      }
  return object;
}

export interface OtlpReceiverOptions {
  /** Keep every decoded request for `requests`/`spans()`. Default true; benchmarks only count. */
  store?: boolean;
}

/** An in-process OTLP/HTTP collector on 127.0.0.1 that decodes protobuf and JSON exports. */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const store = options.store ?? true;
  const requests: ReceivedRequest[] = [];
  let count = 0;
  let status = 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (status !== 200) {
        res.writeHead(status).end();
        return;
      }
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const contentType = req.headers['content-type'];
        const spans = flatten(decode(body, contentType));
        count += spans.length;
        if (store) requests.push({ contentType, path: req.url, headers: req.headers, spans });
        res.writeHead(200, { 'content-type': contentType ?? 'application/x-protobuf' }).end();
      } catch (error) {
        res.writeHead(400).end(String(error));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const spans = () => requests.flatMap((request) => request.spans);
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spanCount: () => count,
    requests,
    spans,
    async waitForSpans(count, timeoutMillis = 5000) {
      const deadline = Date.now() + timeoutMillis;
      while (spans().length < count) {
        if (Date.now() > deadline) throw new Error(`receiver got ${spans().length} spans, expected ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return spans();
    },
    respondWith(next) {
      status = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
