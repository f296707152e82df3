import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The console: Preact compiled by Vite's own oxc JSX transform (no preset), built into dist/console, which the
 * service serves at /console/ (src/console/console.routes.ts). One module script and one stylesheet, no inline code:
 * the page's Content-Security-Policy allows nothing else.
 */
export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
  },
});
