// What every esbuild bundle of a Daedalus entry shares (build-mcp.mjs, build-editor-hook.mjs):
// split ESM for Node 20, minified, with a `require` for the CommonJS packages bundled in.
export const root = new URL('..', import.meta.url);

export const nodeBundle = {
  absWorkingDir: new URL('.', root).pathname,
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  // CommonJS packages bundled in (yaml, picomatch) call require(); ESM output has none.
  banner: { js: "import { createRequire as __daedalusRequire } from 'node:module'; const require = __daedalusRequire(import.meta.url);" },
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
};
