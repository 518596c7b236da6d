// OTLP/protobuf serialisation per span: the SDK's ProtobufTraceSerializer and ours, side by side on
// the same typical server spans (a dozen attributes) in batches of 512, as the batch processor sends
// them. Ours twice: as our exporter runs it (each span encoded as it ends, the request lent in memory
// reused from batch to batch) and as `serializeTraceRequest`, whose result is the caller's own.

import { serializeTraceRequest, TraceRequestEncoder } from '@maestro/tracing-core';
import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { median } from '../processes.mjs';

export function runOtlpSerializationBench({ rounds, batches }) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'bench',
      'host.name': 'bench-host',
      'process.pid': 1,
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('@maestro/tracing-core');
  for (let i = 0; i < 512; i++) {
    const span = tracer.startSpan('GET /models/:id', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'url.path': `/models/m${i}`,
        'url.scheme': 'http',
        'network.protocol.version': '1.1',
        'server.address': '127.0.0.1',
        'server.port': 3000,
        'client.address': '127.0.0.1',
        'user_agent.original': 'autocannon/8.0.0',
        'http.route': '/models/:id',
        'http.response.status_code': 200,
      },
    });
    span.end();
  }
  const spans = exporter.getFinishedSpans();
  const serializers = {
    sdk: (batch) => ProtobufTraceSerializer.serializeRequest(batch).length,
    ours: (batch) => {
      const encoder = new TraceRequestEncoder();
      for (const span of batch) encoder.add(span);
      let length = 0;
      encoder.lend((request) => {
        length = request.length;
      });
      return length;
    },
    oursOwned: (batch) => serializeTraceRequest(batch).length,
  };
  const perSpan = { sdk: [], ours: [], oursOwned: [] };
  const bytes = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, serialize] of Object.entries(serializers)) {
      serialize(spans);
      const started = process.hrtime.bigint();
      for (let b = 0; b < batches; b++) bytes[name] = serialize(spans);
      perSpan[name].push(Number(process.hrtime.bigint() - started) / (batches * spans.length));
    }
  }
  return Object.fromEntries(
    Object.keys(serializers).map((name) => [
      name,
      { nsPerSpan: median(perSpan[name]), bytesPerSpan: bytes[name] / spans.length },
    ]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.log(runOtlpSerializationBench({ rounds: 5, batches: 50 }));
