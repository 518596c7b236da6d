import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('../../test-fixtures/idle-ticks.mjs', import.meta.url));

/** The states V8 reports for the inline caches that build each tick object of process.nextTick. */
async function tickLiteralCaches(configure: boolean): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--allow-natives-syntax', '--expose-gc', fixture],
    {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { PATH: process.env.PATH, CONFIGURE: configure ? '1' : '0' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 30_000,
    },
  );
  expect(stdout).toContain('<SharedFunctionInfo nextTick>');
  return [...stdout.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1] ?? '');
}

describe('process.nextTick through idle collections', () => {
  it('goes megamorphic after a few idle full collections when nothing holds a tick (the V8 behaviour we work around)', async () => {
    const caches = await tickLiteralCaches(false);
    expect(caches.length).toBeGreaterThanOrEqual(4);
    expect(caches).toContain('MEGAMORPHIC');
  });

  it('stays monomorphic once tracing is configured, even with tracing disabled', async () => {
    const caches = await tickLiteralCaches(true);
    expect(caches.length).toBeGreaterThanOrEqual(4);
    expect(new Set(caches)).toEqual(new Set(['MONOMORPHIC']));
  });
});
