import type { Server } from 'node:http';
import { type HttpLifecycle, startMetricsServer } from '@maestro/tracing-core';
import { expressTracing } from '@maestro/tracing-express';
import { registerTracingHooks } from '@maestro/tracing-fastify';
import {
  type DynamicModule,
  Global,
  Inject,
  Module,
  type NestModule,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { diag } from '@opentelemetry/api';
import type { Express } from 'express';
import type { FastifyInstance } from 'fastify';
import { wrapControllerHandlers } from './handler-spans.ts';
import { TRACING_MODULE_OPTIONS } from './tokens.ts';
import { TracingService } from './tracing.service.ts';
import type { TracingModuleAsyncOptions, TracingModuleOptions } from './types.ts';

const shared: Provider[] = [TracingService];

/**
 * Traces every HTTP request of a Nest app, on `@nestjs/platform-express` or `@nestjs/platform-fastify`:
 * one SERVER span per request from the moment it arrives (guards included), named after the route
 * Nest registered (global prefix and URI versioning included), a span per controller handler, and the
 * RED metrics — the same lifecycle as the Express and Fastify adapters, installed on the platform
 * before Nest registers its routes, with no Nest interceptor on the request path.
 *
 * @example
 * @Module({ imports: [TracingModule.forRoot({ tracing: { serviceName: 'model-registry' } })] })
 * export class AppModule {}
 */
export class TracingModule implements NestModule, OnModuleInit, OnApplicationShutdown {
  readonly #options: TracingModuleOptions;
  readonly #adapterHost: HttpAdapterHost;
  readonly #modules: ModulesContainer;
  #metricsServer: Server | undefined;
  /** The lifecycle installed on the platform in configure(), flushed on shutdown. */
  #lifecycle: HttpLifecycle | undefined;

  constructor(options: TracingModuleOptions, adapterHost: HttpAdapterHost, modules: ModulesContainer) {
    this.#options = options;
    this.#adapterHost = adapterHost;
    this.#modules = modules;
  }

  static forRoot(options: TracingModuleOptions = {}): DynamicModule {
    return {
      module: TracingModule,
      global: true,
      providers: [{ provide: TRACING_MODULE_OPTIONS, useValue: options }, ...shared],
      exports: [TracingService],
    };
  }

  /**
   * @example
   * TracingModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ tracing: { serviceName: config.get('SERVICE_NAME') } }),
   * })
   */
  static forRootAsync(options: TracingModuleAsyncOptions): DynamicModule {
    return {
      module: TracingModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        { provide: TRACING_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        ...shared,
      ],
      exports: [TracingService],
    };
  }

  /** Nest calls this before it registers its routes: the only moment a platform hook sees them all. */
  configure(): void {
    this.#installOnPlatform();
    // A handler span is a child of its request's span: with tracing off there is none, and the
    // wrapper would only cost every request a lookup.
    if ((this.#options.handlerSpans ?? true) && this.#lifecycle?.tracing.enabled)
      wrapControllerHandlers(this.#modules);
  }

  #installOnPlatform(): void {
    const adapter = this.#adapterHost.httpAdapter;
    if (adapter === undefined || adapter === null) return;
    const platformOptions = {
      ...this.#options,
      metricsPath:
        this.#options.metricsPath ?? (this.#options.metricsPort === undefined ? '/metrics' : false),
    };
    const platform = adapter.getType();
    if (platform === 'express') {
      const middleware = expressTracing(platformOptions);
      // In front of Express's router rather than as its first layer: no per-request router work.
      middleware.install(adapter.getInstance() as Express);
      this.#lifecycle = middleware.lifecycle;
    } else if (platform === 'fastify') {
      this.#lifecycle = registerTracingHooks(adapter.getInstance() as FastifyInstance, platformOptions);
    } else {
      diag.warn(
        `@maestro/tracing-nest: the ${platform} platform is not supported; HTTP requests are not traced`,
      );
    }
  }

  async onModuleInit(): Promise<void> {
    const port = this.#options.metricsPort;
    if (port === undefined) return;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new TypeError(`metricsPort must be a port number, got ${String(port)}`);
    }
    this.#metricsServer = await startMetricsServer({
      port,
      host: this.#options.metricsHost,
      bearerToken: this.#options.metricsBearerToken,
      registry: typeof this.#options.metrics === 'object' ? this.#options.metrics.registry : undefined,
    });
  }

  /** With `app.enableShutdownHooks()`, SIGTERM flushes pending spans, bounded by `flushTimeoutMillis`. */
  async onApplicationShutdown(): Promise<void> {
    this.#metricsServer?.close();
    await this.#lifecycle?.tracing.forceFlush(this.#options.flushTimeoutMillis ?? 5000);
  }

  /** The port of the separate metrics server, once started (useful with `metricsPort: 0`). */
  metricsServerPort(): number | undefined {
    const address = this.#metricsServer?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }
}

Global()(TracingModule);
Module({})(TracingModule);
Inject(TRACING_MODULE_OPTIONS)(TracingModule, undefined, 0);
Inject(HttpAdapterHost)(TracingModule, undefined, 1);
Inject(ModulesContainer)(TracingModule, undefined, 2);
