// Part of `npm run build`, after tsc: bundles `daedalus editor-hook` into dist/editor-hook.js.
// The chief's Ctrl-G waits for this process; one file loads far faster than the few hundred
// modules of the full CLI (see bench/control-plane.bench.ts).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { nodeBundle, root } from './bundle-options.mjs';

rmSync(new URL('dist/hook-chunks/', root), { recursive: true, force: true });
const result = await build({
  ...nodeBundle,
  entryPoints: { 'editor-hook': 'src/cli/editor-hook-entry.ts' },
  // Chunks for what loads on demand (the PostgreSQL driver when the bus is SQLite, and the reverse):
  // one bundle would hoist every external import to its top and load them all.
  chunkNames: 'hook-chunks/[name]-[hash]',
  // Native, or CommonJS whose interop a bundle breaks: resolved from node_modules at runtime.
  external: ['better-sqlite3', 'pg'],
  // The plan readers' YAML parsers come in through modules the hook never calls: external (see
  // build-mcp.mjs) and side-effect free, so an import left unused is dropped, not loaded.
  plugins: [
    {
      name: 'unused-yaml',
      setup(b) {
        b.onResolve({ filter: /^(yaml|js-yaml)$/ }, (args) => ({ path: args.path, external: true, sideEffects: false }));
      },
    },
  ],
});
const bytes = result.metafile.outputs['dist/editor-hook.js']?.bytes;
if (!bytes) throw new Error('build-editor-hook: esbuild produced no dist/editor-hook.js');
// stderr: `npm pack --json` runs the build and its stdout must stay JSON.
console.error(`build-editor-hook: dist/editor-hook.js ${Math.round(bytes / 1024)} KiB`);
