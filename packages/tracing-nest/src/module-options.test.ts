import 'reflect-metadata';
import { fetchUntraced, sampleValue } from '@maestro/test-support';
import { createMetricsRegistry } from '@maestro/tracing-core';
import { createTestTracing } from '@maestro/tracing-core/testing';
import { expressTracing } from '@maestro/tracing-express';
import { fastifyTracing } from '@maestro/tracing-fastify';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { SpanKind } from '@opentelemetry/api';
import express from 'express';
import fastify from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Traced, TracingModule } from './index.ts';
import { ModelsController, ModelsService } from './test-app.ts';

const testing = createTestTracing();
afterEach(() => testing.reset());
afterAll(() => testing.shutdown());

const request = fetchUntraced;

async function start(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
}

@Traced()
@Controller('experiments')
class ExperimentsController {
  @Get()
  list(): string[] {
    return ['e1'];
  }
  @Get(':id/runs')
  runs(): string[] {
    return ['r1'];
  }
}

describe('TracingModule.forRootAsync', () => {
  it('takes its options from ConfigService', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          load: [() => ({ SLOW_MS: 5, METRICS_PATH: '/internal/metrics' })],
        }),
        TracingModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            tracing: testing.tracing,
            metrics: { registry },
            slowRequestThresholdMs: config.get<number>('SLOW_MS'),
            metricsPath: config.get<string>('METRICS_PATH'),
          }),
        }),
      ],
      controllers: [ExperimentsController],
    }).compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
    const url = await start(app);
    try {
      await request(`${url}/experiments/e1/runs`);
      await testing.waitForSpans(2);
      expect(testing.spans().find((s) => s.kind === SpanKind.SERVER)?.name).toBe('GET /experiments/:id/runs');
      const text = await (await request(`${url}/internal/metrics`)).text();
      expect(sampleValue(text, 'http_server_requests_total', { route: '/experiments/:id/runs' })).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describe('tracing disabled', () => {
  it('leaves the controller handlers as they are, and still serves routes and metrics', async () => {
    @Controller('datasets')
    class DatasetsController {
      @Get()
      list(): string[] {
        return ['imagenet'];
      }
    }
    const original = DatasetsController.prototype.list;
    const disabled = createTestTracing({ enabled: false });
    const registry = createMetricsRegistry({ defaultMetrics: false });
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [TracingModule.forRoot({ tracing: disabled.tracing, metrics: { registry } })],
        controllers: [DatasetsController],
      }).compile();
      const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
      const url = await start(app);
      try {
        expect(await (await request(`${url}/datasets`)).json()).toEqual(['imagenet']);
        expect(DatasetsController.prototype.list).toBe(original);
        const text = await (await request(`${url}/metrics`)).text();
        expect(sampleValue(text, 'http_server_requests_total', { route: '/datasets' })).toBe(1);
        expect(disabled.spans()).toHaveLength(0);
      } finally {
        await app.close();
      }
    } finally {
      await disabled.shutdown();
    }
  });
});

describe('@Traced() on a whole controller', () => {
  it('traces every method and every route is still served', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TracingModule.forRoot({ tracing: testing.tracing, metrics: false, handlerSpans: false })],
      controllers: [ExperimentsController],
    }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    const url = await start(app);
    try {
      expect(await (await request(`${url}/experiments`)).json()).toEqual(['e1']);
      expect(await (await request(`${url}/experiments/e1/runs`)).json()).toEqual(['r1']);
      await testing.waitForSpans(4);
      const names = testing.spans().map((span) => span.name);
      expect(names).toEqual(
        expect.arrayContaining(['ExperimentsController.list', 'ExperimentsController.runs']),
      );
      expect(names).toEqual(expect.arrayContaining(['GET /experiments', 'GET /experiments/:id/runs']));
    } finally {
      await app.close();
    }
  });
});

describe('Swagger', () => {
  it('produces the same OpenAPI document with @Traced() as without', async () => {
    @Controller('models')
    class PlainController {
      @Get('admin/report')
      report(): { report: string } {
        return { report: 'ok' };
      }
      @Get(':id')
      findOne(): { id: string } {
        return { id: '1' };
      }
    }
    @Traced()
    @Controller('models')
    class TracedController {
      @Get('admin/report')
      report(): { report: string } {
        return { report: 'ok' };
      }
      @Get(':id')
      findOne(): { id: string } {
        return { id: '1' };
      }
    }
    async function documentFor(controller: new () => unknown) {
      @Module({ controllers: [controller] })
      class DocModule {}
      const app = await Test.createTestingModule({ imports: [DocModule] })
        .compile()
        .then((ref) => ref.createNestApplication(new ExpressAdapter(), { logger: false }));
      await app.init();
      const doc = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('models').build());
      await app.close();
      // The two classes differ only by name (which Swagger uses for operation ids and tags).
      return JSON.stringify(doc).replaceAll('Traced', 'Plain');
    }
    const plain = await documentFor(PlainController);
    expect(plain).toContain('/models/{id}');
    expect(await documentFor(TracedController)).toBe(plain);

    // And the documented controller of the sample app keeps its operations and response docs.
    @Module({ controllers: [ModelsController], providers: [ModelsService] })
    class ModelsDocModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [ModelsDocModule, TracingModule.forRoot({ tracing: testing.tracing, metrics: false })],
    }).compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
    await app.init();
    const doc = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    await app.close();
    expect(doc.paths['/models/admin/report']?.get?.responses?.['200']).toEqual({
      description: 'The admin report',
    });
    expect(doc.paths['/models/admin/report']?.get?.operationId).toBe('ModelsController_report');
  });
});

describe('with the framework adapter also installed', () => {
  it('Nest over an Express app that already has the middleware: one SERVER span, one count', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const expressApp = express();
    expressApp.use(expressTracing({ tracing: testing.tracing, metrics: { registry } }));
    const moduleRef = await Test.createTestingModule({
      imports: [TracingModule.forRoot({ tracing: testing.tracing, metrics: { registry } })],
      controllers: [ExperimentsController],
    }).compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(expressApp), { logger: false });
    const url = await start(app);
    try {
      await request(`${url}/experiments`);
      await testing.waitForSpans(3);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const servers = testing.spans().filter((span) => span.kind === SpanKind.SERVER);
      expect(servers.map((span) => span.name)).toEqual(['GET /experiments']);
      const text = await (await request(`${url}/metrics`)).text();
      expect(sampleValue(text, 'http_server_requests_total', { route: '/experiments' })).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('Nest over a Fastify instance that already has the plugin: one SERVER span', async () => {
    const instance = fastify();
    await instance.register(fastifyTracing, { tracing: testing.tracing, metrics: false });
    const moduleRef = await Test.createTestingModule({
      imports: [TracingModule.forRoot({ tracing: testing.tracing, metrics: false })],
      controllers: [ExperimentsController],
    }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter(instance as never), { logger: false });
    const url = await start(app);
    try {
      expect((await request(`${url}/experiments`)).status).toBe(200);
      await testing.waitForSpans(3);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(
        testing
          .spans()
          .filter((span) => span.kind === SpanKind.SERVER)
          .map((span) => span.name),
      ).toEqual(['GET /experiments']);
    } finally {
      await app.close();
    }
  });
});

describe('metrics on a separate port', () => {
  it('serves them there, and not on the app port', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const moduleRef = await Test.createTestingModule({
      imports: [
        TracingModule.forRoot({
          tracing: testing.tracing,
          metrics: { registry },
          metricsPort: 0,
          metricsHost: '127.0.0.1',
        }),
      ],
      controllers: [ExperimentsController],
    }).compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
    const url = await start(app);
    try {
      await request(`${url}/experiments`);
      expect((await request(`${url}/metrics`)).status).toBe(404);
      const port = app.get(TracingModule).metricsServerPort();
      const text = await (await request(`http://127.0.0.1:${port}/metrics`)).text();
      expect(sampleValue(text, 'http_server_requests_total', { route: '/experiments' })).toBe(1);
    } finally {
      await app.close();
    }
  });
});
