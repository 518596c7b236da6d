import type { UserConfig } from 'tsdown';

/**
 * One build shape for every published package: ESM and CommonJS side by side with
 * declarations for both, because NestJS 12 apps are ESM-only while NestJS 10/11 apps
 * and their Jest suites still `require()` us.
 */
export function packageBuild(entry: Record<string, string>, overrides: Partial<UserConfig> = {}): UserConfig {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    platform: 'node',
    target: 'node20',
    // Peers and dependencies stay imports: bundling them would duplicate OpenTelemetry's
    // global singletons and prom-client's default registry.
    deps: { skipNodeModulesBundle: true },
    shims: true,
    ...overrides,
  };
}
