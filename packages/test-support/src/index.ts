export { describeBuiltNestApp } from './nest-fixture.ts';
export {
  decodeTraceRequest,
  type OtlpReceiver,
  type ReceivedRequest,
  type ReceivedSpan,
  startOtlpReceiver,
} from './otlp-receiver.ts';
export {
  exemplarTimestamp,
  type ParsedSample,
  parseOpenMetrics,
  promtoolCheck,
  sampleValue,
} from './prometheus-tools.ts';
export { fetchUntraced } from './requests.ts';
export { type Listening, listen } from './servers.ts';
