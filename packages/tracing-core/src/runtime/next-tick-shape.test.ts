import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('../../test-fixtures/idle-ticks.mjs', import.meta.url));

/** Runs the idle-service fixture on this Node with the given V8 flags and returns what it printed. */
async function runFixture(configure: 'no' | 'disabled' | 'enabled', flags: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, '--expose-gc', fixture], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { PATH: process.env.PATH, CONFIGURE: configure },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 30_000,
  });
  return stdout;
}

/** The states V8 reports for the inline caches that build each tick object of process.nextTick. */
async function tickLiteralCaches(configure: boolean): Promise<string[]> {
  const stdout = await runFixture(configure ? 'disabled' : 'no', ['--allow-natives-syntax']);
  expect(stdout).toContain('<SharedFunctionInfo nextTick>');
  return [...stdout.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1] ?? '');
}

/** Whether V8 gave up its fast promise paths for good in that run (promise hooks were installed). */
async function promiseHooksInstalled(configure: 'no' | 'disabled' | 'enabled'): Promise<boolean> {
  const stdout = await runFixture(configure, ['--trace-protector-invalidation']);
  return stdout.includes('Invalidating protector cell PromiseHook');
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

  it('holds its tick without ever installing promise hooks, which would slow every promise of the process', async () => {
    // The control: V8 reports the moment any async hook is enabled, so an absence below means something.
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--trace-protector-invalidation',
      '-e',
      "require('node:async_hooks').createHook({ init() {} }).enable().disable()",
    ]);
    expect(stdout).toContain('Invalidating protector cell PromiseHook');

    expect(await promiseHooksInstalled('no')).toBe(false);
    expect(await promiseHooksInstalled('disabled')).toBe(false);
    // With tracing on, requests run in an AsyncLocalStorage context: on Node 20 it is built on async
    // hooks (the context floor the benchmarks measure), on Node 24 on AsyncContextFrame, without any.
    const asyncContextFrame = Number(process.versions.node.split('.')[0]) >= 24;
    expect(await promiseHooksInstalled('enabled')).toBe(!asyncContextFrame);
  });
});
