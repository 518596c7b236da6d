/**
 * Zero-code entry: `node --import @maestro/tracing-core/register app.js` (or `--require` for
 * CommonJS) configures tracing from the environment before the app's first import.
 */
import { register } from 'node:module';
import { diag } from '@opentelemetry/api';
import { isUntracedThread } from './runtime/threads.ts';
import { configureTracing } from './setup.ts';

// NODE_OPTIONS preloads reach our OTLP export worker and Node's module-hooks thread too; both must
// stay untraced, and the hooks thread must not register the loader hook a second time.
if (!isUntracedThread()) {
  // ESM apps import `pg` and `ioredis` through the loader, where require hooks never see them; the
  // instrumentation package's loader hook lets the official instrumentations patch them there too.
  if (typeof register === 'function' && typeof import.meta.url === 'string') {
    try {
      register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
    } catch (error) {
      diag.warn(`ESM instrumentation hook not registered: ${String(error)}`);
    }
  }

  const tracing = configureTracing();
  // Spans finished just before a normal exit would otherwise die with the process.
  process.once('beforeExit', () => {
    void tracing.shutdown();
  });
}
