import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const demo = fileURLToPath(new URL('../demo/hello.mjs', import.meta.url));

describe('the demo (`pnpm demo`, the README front door)', () => {
  it('prints one trace: the fetch, the service continuing it, its steps, PostgreSQL and Redis', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [demo], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env.PATH },
      timeout: 30_000,
    });
    expect(stdout).toContain('response: {"model_id":"model-1"}');
    expect(stdout.match(/^trace [0-9a-f]{32} — 11 spans$/gm)).toHaveLength(1);
    // The tree with durations taken out: indentation is parenthood.
    const tree = stdout
      .slice(stdout.indexOf('\ntrace '))
      .split('\n')
      .slice(2)
      .filter((line) => line.trim() !== '')
      .map((line) => line.replace(/ \([\d.]+ ms\)$/, ''));
    expect(tree).toEqual([
      'POST [client]',
      '  POST /models/train [server]',
      '    validate_config',
      '    load_training_data',
      '      pg.query:SELECT test [client]',
      '    train_model',
      '      epoch_1',
      '      epoch_2',
      '      epoch_3',
      '    save_model',
      '      set [client]',
    ]);
  });
});
