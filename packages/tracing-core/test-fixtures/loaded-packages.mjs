// Prints which OpenTelemetry packages a process has loaded after importing @maestro/tracing-core
// (its ESM or CommonJS build, argv[2]) and configuring it with the JSON options in argv[3]. Those
// packages are CommonJS, so each one loaded is in require's cache whichever build loaded it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const core =
  process.argv[2] === 'cjs' ? require('@maestro/tracing-core') : await import('@maestro/tracing-core');
const tracing = core.configureTracing({ exporter: 'none', ...JSON.parse(process.argv[3]) });
const packages = new Set();
for (const path of Object.keys(require.cache)) {
  const name = /node_modules\/(@opentelemetry\/[^/]+)\//.exec(path)?.[1];
  if (name !== undefined) packages.add(name);
}
process.stdout.write(JSON.stringify([...packages].sort()));
await tracing.shutdown();
