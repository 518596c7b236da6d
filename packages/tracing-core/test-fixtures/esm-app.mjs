// A user's ESM service started with `node --import @maestro/tracing-core/register`: no setup code.

import { traceSpan } from '@maestro/tracing-core';
import pg from 'pg';

const client = new pg.Client({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' });
await client.connect();
await traceSpan('nightly_report', () => client.query('SELECT 1 AS one'));
await client.end();
