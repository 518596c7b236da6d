// The standard OpenTelemetry auto-instrumentation a team would otherwise pick, loaded with
// `node --import`: a NodeTracerProvider with the SDK's BatchSpanProcessor and OTLP/protobuf
// exporter, the HTTP instrumentation and the framework's own instrumentation, 100 % sampling.
import { createRequire, register } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const framework = process.env.FRAMEWORK ?? 'express';
let exported = 0;
let failed = 0;
const exporter = new OTLPTraceExporter({ url: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
const counting = {
  export(spans, done) {
    exporter.export(spans, (result) => {
      if (result.code === 0) exported += spans.length;
      else failed += spans.length;
      done(result);
    });
  },
  shutdown: () => exporter.shutdown(),
  forceFlush: () => exporter.forceFlush?.(),
};
const processor = new BatchSpanProcessor(counting);
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': `bench-${framework}-otel` }),
  spanProcessors: [processor],
});
provider.register();

const instrumentations = [new HttpInstrumentation()];
if (framework === 'express' || framework === 'nest') instrumentations.push(new ExpressInstrumentation());
if (framework === 'nest') instrumentations.push(new NestInstrumentation());
if (framework === 'fastify')
  instrumentations.push(new FastifyOtelInstrumentation({ registerOnInitialization: true }));
registerInstrumentations({ instrumentations, tracerProvider: provider });
// Make sure CommonJS users of these modules see the patched versions.
const require = createRequire(import.meta.url);
require('node:http');

globalThis.__benchReferenceStats = () => ({ exported, dropped: undefined, failed, queued: undefined });
globalThis.__benchReferenceFlush = () => provider.forceFlush();
