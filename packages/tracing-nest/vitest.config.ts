import swc from 'unplugin-swc';
import { mergeConfig } from 'vitest/config';
import { packageTests } from '../../vitest.shared.ts';

// Nest resolves constructor dependencies from `design:paramtypes`, which esbuild does not emit:
// the tests compile with SWC and decorator metadata, as a Nest app's own build does.
export default mergeConfig(packageTests(), {
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
    }),
  ],
});
