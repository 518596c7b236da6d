import { defineConfig } from 'vitest/config';

/**
 * One test setup for every package: co-located `*.test.ts`, one forked process per file (our
 * tests install OpenTelemetry globals and instrumentation hooks), and a JSON report per Node major
 * that `scripts/summarize-tests.mjs` adds up for CI's closing line.
 */
export function packageTests() {
  const nodeMajor = process.versions.node.split('.')[0];
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      pool: 'forks',
      testTimeout: 20_000,
      hookTimeout: 20_000,
      reporters: ['default', ['json', { outputFile: `test-results/node${nodeMajor}.json` }]],
    },
  });
}
