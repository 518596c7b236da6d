import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { propagation, SpanKind } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Redis as RedisClient } from 'ioredis';
import type * as Pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { traceSpan } from './spans/helpers.ts';
import { createTestTracing } from './testing/index.ts';

// Instrumentations hook `require`: load the clients the way a CommonJS app does, after setup.
const testing = createTestTracing({
  instrumentations: { http: true, undici: true, pg: true, ioredis: true },
});
const require = createRequire(import.meta.url);
const http = require('node:http') as typeof import('node:http');
const { Client } = require('pg') as typeof Pg;
const Redis = require('ioredis') as typeof import('ioredis').default;

let downstream: Server;
let downstreamUrl: string;
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  downstream = createServer((req, res) => {
    received.push(req.headers);
    res.end('ok');
  }).listen(0, '127.0.0.1');
  await once(downstream, 'listening');
  downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/score`;
});
afterEach(() => {
  testing.reset();
  received.length = 0;
});
afterAll(async () => {
  downstream.close();
  propagation.disable();
  await testing.shutdown();
});

describe('outbound calls carry the trace to the next service', () => {
  it('fetch (undici) makes a CLIENT span and sends its traceparent', async () => {
    await traceSpan('handler', async () => {
      const response = await fetch(downstreamUrl);
      expect(await response.text()).toBe('ok');
    });
    const handler = testing.span('handler');
    const client = testing.spans().find((span) => span.kind === SpanKind.CLIENT);
    expect(client?.parentSpanContext?.spanId).toBe(handler.spanContext().spanId);
    expect(received[0]?.traceparent).toBe(
      `00-${handler.spanContext().traceId}-${client?.spanContext().spanId}-01`,
    );
  });

  it('node:http requests make a CLIENT span and send their traceparent, and no SERVER span appears', async () => {
    await traceSpan('handler', async () => {
      await new Promise<void>((resolve, reject) => {
        http.get(downstreamUrl, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
    });
    const handler = testing.span('handler');
    const clients = testing.spans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(1);
    expect(received[0]?.traceparent).toBe(
      `00-${handler.spanContext().traceId}-${clients[0]!.spanContext().spanId}-01`,
    );
    expect(testing.spans().filter((span) => span.kind === SpanKind.SERVER)).toEqual([]);
  });
});

describe('data stores become child spans', () => {
  it('PostgreSQL queries through pg', async () => {
    const client = new Client({
      host: '127.0.0.1',
      port: 5432,
      database: 'test',
      user: process.env.PGUSER ?? 'postgres',
    });
    await client.connect();
    try {
      await traceSpan('list_models', async () => {
        const result = await client.query('SELECT $1::int AS answer', [42]);
        expect(result.rows[0]).toEqual({ answer: 42 });
      });
      const parent = testing.span('list_models');
      const query = testing
        .spans()
        .find((span) => span.kind === SpanKind.CLIENT && span.attributes['db.system.name'] === 'postgresql');
      expect(query).toBeDefined();
      expect(query!.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(query!.name).toBe('pg.query:SELECT test');
      expect(query!.attributes['db.query.text']).toBe('SELECT $1::int AS answer');
      expect(query!.attributes['db.namespace']).toBe('test');

      testing.reset();
      await client.query('SELECT 1');
      expect(testing.spans()).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it('Redis commands through ioredis', async () => {
    const redis: RedisClient = new Redis({
      host: '127.0.0.1',
      port: 6379,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    await redis.connect();
    try {
      await traceSpan('cache_model', async () => {
        await redis.set('maestro:test:model', 'm1', 'EX', 10);
        expect(await redis.get('maestro:test:model')).toBe('m1');
      });
      const parent = testing.span('cache_model');
      const commands = testing.spans().filter((span) => span.attributes['db.system.name'] === 'redis');
      expect(commands.map((span) => span.name)).toEqual(['set', 'get']);
      for (const command of commands) {
        expect(command.kind).toBe(SpanKind.CLIENT);
        expect(command.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      }
    } finally {
      redis.disconnect();
    }
  });
});
