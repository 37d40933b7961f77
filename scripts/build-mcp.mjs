// Part of `npm run build`, after tsc: bundles `daedalus mcp` into dist/mcp.js, the entry agents'
// MCP configurations run. One file for what the handshake needs, with the tools/list answer
// computed here from the tools' zod schemas; everything else (tools, zod, the bus) in chunks under
// dist/mcp-chunks/ that load after the handshake. Hundreds of small modules cost an agent's MCP
// server most of its start; see bench/mcp-start.bench.ts.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { nodeBundle, root } from './bundle-options.mjs';

const dist = new URL('dist/', root);
const version = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).version;

// The tsc output of the same sources: the JSON schemas the server would otherwise compute at runtime.
const { describeTools } = await import(new URL('mcp/tool-schemas.js', dist).href);
const tools = describeTools();

rmSync(new URL('mcp-chunks/', dist), { recursive: true, force: true });
const result = await build({
  ...nodeBundle,
  entryPoints: { mcp: 'src/mcp/stdio-entry.ts' },
  chunkNames: 'mcp-chunks/[name]-[hash]',
  // Native, loaded by address, or CommonJS whose interop a bundle breaks (the plan readers'
  // parsers): resolved from the installed package's node_modules at runtime.
  external: ['better-sqlite3', 'pg', 'yaml', 'js-yaml'],
  define: {
    __DAEDALUS_MCP_TOOLS__: JSON.stringify(tools),
    __DAEDALUS_VERSION__: JSON.stringify(version),
  },
});

const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([file]) => file === 'dist/mcp.js');
if (!entry) throw new Error('build-mcp: esbuild produced no dist/mcp.js');
const kib = (n) => `${Math.round(n / 1024)} KiB`;
const chunks = outputs.filter(([file]) => file !== 'dist/mcp.js');
// stderr: `npm pack --json` runs the build and its stdout must stay JSON.
console.error(`build-mcp: dist/mcp.js ${kib(entry[1].bytes)} (${tools.length} tools listed), ${chunks.length} chunks ${kib(chunks.reduce((n, [, o]) => n + o.bytes, 0))}`);
