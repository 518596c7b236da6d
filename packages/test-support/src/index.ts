export {
  type OtlpReceiver,
  type ReceivedRequest,
  type ReceivedSpan,
  startOtlpReceiver,
} from './otlp-receiver.ts';
