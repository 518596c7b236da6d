import { describe, expect, it } from 'vitest';
import { DEFAULT_OTLP_TRACES_URL, resolveTracingConfig } from './resolve.ts';

describe('resolveTracingConfig', () => {
  it('defaults to OTLP/protobuf at Jaeger’s native port, parent-based always-on, W3C propagation', () => {
    const { config, problems } = resolveTracingConfig({ env: {} });
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      enabled: true,
      serviceName: 'unknown_service:node',
      exporter: 'otlp',
      otlp: { url: 'http://localhost:4318/v1/traces', protocol: 'http/protobuf', timeoutMillis: 10_000 },
      batch: {
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 5000,
        exportTimeoutMillis: 30_000,
      },
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      propagators: ['tracecontext', 'baggage'],
    });
    expect(config.excludePaths).toContain('/health');
    expect(config.excludePaths).toContain('/metrics');
  });

  it('reads the standard OTEL_* variables', () => {
    const { config, problems } = resolveTracingConfig({
      env: {
        OTEL_SERVICE_NAME: 'model-registry',
        OTEL_RESOURCE_ATTRIBUTES:
          'service.version=1.2.3,deployment.environment.name=staging,team=ml%20platform',
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=t1',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_PROPAGATORS: 'tracecontext,baggage,b3,jaeger',
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BSP_EXPORT_TIMEOUT: '1000',
        OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '64',
        OTEL_SPAN_EVENT_COUNT_LIMIT: '16',
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '1024',
        OTEL_LOG_LEVEL: 'debug',
      },
    });
    expect(problems).toEqual([]);
    expect(config.serviceName).toBe('model-registry');
    expect(config.resourceAttributes).toMatchObject({
      'service.version': '1.2.3',
      'deployment.environment.name': 'staging',
      team: 'ml platform',
    });
    expect(config.exporter).toBe('console');
    expect(config.otlp).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/json',
      headers: { authorization: 'Bearer abc', 'x-tenant': 't1' },
      timeoutMillis: 2500,
    });
    expect(config.sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
    expect(config.propagators).toEqual(['tracecontext', 'baggage', 'b3', 'jaeger']);
    expect(config.batch).toEqual({
      maxQueueSize: 100,
      maxExportBatchSize: 50,
      scheduledDelayMillis: 200,
      exportTimeoutMillis: 1000,
    });
    expect(config.spanLimits).toMatchObject({
      attributeCountLimit: 64,
      eventCountLimit: 16,
      attributeValueLengthLimit: 1024,
    });
    expect(config.logLevel).toBe('debug');
  });

  it('lets options win over variables, and the traces-specific variable over the generic one', () => {
    const env = {
      OTEL_SERVICE_NAME: 'from-env',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://specific:4318/custom/traces',
      OTEL_TRACES_SAMPLER: 'always_off',
    };
    expect(resolveTracingConfig({ env }).config.otlp.url).toBe('http://specific:4318/custom/traces');
    const { config } = resolveTracingConfig({
      env,
      serviceName: 'from-options',
      otlp: { url: 'http://options:4318/v1/traces' },
      sampler: 'always_on',
    });
    expect(config.serviceName).toBe('from-options');
    expect(config.otlp.url).toBe('http://options:4318/v1/traces');
    expect(config.sampler).toEqual({ name: 'always_on', ratio: 1 });
  });

  it('honours the seed’s TRACING_ENABLED and JAEGER_AGENT_HOST, and OTEL_SDK_DISABLED over everything', () => {
    expect(resolveTracingConfig({ env: { TRACING_ENABLED: 'false' } }).config.enabled).toBe(false);
    expect(resolveTracingConfig({ env: { TRACING_ENABLED: 'false' }, enabled: true }).config.enabled).toBe(
      true,
    );
    expect(resolveTracingConfig({ env: { OTEL_SDK_DISABLED: 'true' }, enabled: true }).config.enabled).toBe(
      false,
    );

    const seed = resolveTracingConfig({
      env: { JAEGER_AGENT_HOST: 'jaeger.observability', JAEGER_AGENT_PORT: '6831' },
    });
    expect(seed.config.otlp.url).toBe('http://jaeger.observability:4318/v1/traces');
    expect(seed.config.jaeger).toEqual({ host: 'jaeger.observability', port: 6831 });
  });

  it.each([
    [
      { OTEL_TRACES_EXPORTER: 'zipkin' },
      'OTEL_TRACES_EXPORTER="zipkin" is not valid: expected one of otlp, jaeger, console, memory, none; using "otlp".',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'sometimes' },
      'OTEL_TRACES_SAMPLER="sometimes" is not valid: expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio; using "parentbased_always_on".',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' },
      'OTEL_TRACES_SAMPLER_ARG=1.5 is not valid: expected a number 0..1; using 1.',
    ],
    [
      { OTEL_TRACES_SAMPLER_ARG: 'half' },
      'OTEL_TRACES_SAMPLER_ARG="half" is not valid: expected a number; using 1.',
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      `OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318/v1/traces" is not valid: expected an absolute http:// or https:// URL; using "${DEFAULT_OTLP_TRACES_URL}".`,
    ],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      'OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not valid: expected one of http/protobuf, http/json; using "http/protobuf".',
    ],
    [
      { OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500' },
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE=500 is not valid: expected a batch size no larger than the queue size (100); using 100.',
    ],
    [
      { OTEL_BSP_MAX_QUEUE_SIZE: '-3' },
      'OTEL_BSP_MAX_QUEUE_SIZE=-3 is not valid: expected an integer >= 1; using 2048.',
    ],
    [
      { OTEL_PROPAGATORS: 'tracecontext,xray' },
      'OTEL_PROPAGATORS="xray" is not valid: expected names among tracecontext, baggage, b3, b3multi, jaeger, none; using "the name is skipped".',
    ],
    [
      { OTEL_SDK_DISABLED: 'maybe' },
      'OTEL_SDK_DISABLED="maybe" is not valid: expected true or false; using "its default".',
    ],
    [
      { OTEL_LOG_LEVEL: 'loud' },
      'OTEL_LOG_LEVEL="loud" is not valid: expected one of none, error, warn, info, debug, verbose, all; using "info".',
    ],
    [
      { TRACING_ROUTE_SAMPLING: '/models/*=2' },
      'TRACING_ROUTE_SAMPLING["/models/*"]=2 is not valid: expected a number 0..1; using 1.',
    ],
  ])('reports one clear message for a bad value and falls back: %j', (env, message) => {
    expect(resolveTracingConfig({ env }).problems).toEqual([message]);
  });

  it('falls back to the documented values after a bad value', () => {
    const { config } = resolveTracingConfig({
      env: {
        OTEL_TRACES_EXPORTER: 'zipkin',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '1.5',
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '::not a url::',
      },
    });
    expect(config.exporter).toBe('otlp');
    expect(config.sampler).toEqual({ name: 'traceidratio', ratio: 1 });
    expect(config.batch.maxExportBatchSize).toBe(100);
    expect(config.otlp.url).toBe(DEFAULT_OTLP_TRACES_URL);
  });

  it('validates options with the same rules, naming the option', () => {
    const { config, problems } = resolveTracingConfig({
      env: {},
      samplerRatio: 1.5,
      batch: { maxQueueSize: 0 },
    });
    expect(config.sampler).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(problems).toEqual([
      'batch.maxQueueSize=0 is not valid: expected an integer >= 1; using 2048.',
      'samplerRatio=1.5 is not valid: expected a number 0..1; using 1.',
    ]);
  });

  it('reads excluded paths and per-route ratios from their variables', () => {
    const { config } = resolveTracingConfig({
      env: {
        TRACING_EXCLUDED_PATHS: '/ping, /internal/*',
        TRACING_ROUTE_SAMPLING: '/models/:id=0.1,/batch/*=0.5',
      },
    });
    expect(config.excludePaths).toEqual(['/ping', '/internal/*']);
    expect(config.routeSampling).toEqual({ '/models/:id': 0.1, '/batch/*': 0.5 });
  });
});
