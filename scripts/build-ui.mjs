// The dashboard's page: its TypeScript bundled with the graph-layout library into one script, its
// stylesheet and HTML, into dist/ui/public. Built here, so nothing is fetched when the page loads.
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const src = new URL('../src/ui/client/', import.meta.url).pathname;
const out = new URL('../dist/ui/public/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${src}main.ts`],
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  legalComments: 'none',
  outfile: `${out}app.js`,
  logLevel: 'warning',
});
await build({ entryPoints: [`${src}style.css`], bundle: true, minify: true, outfile: `${out}app.css`, logLevel: 'warning' });
copyFileSync(`${src}index.html`, `${out}index.html`);
