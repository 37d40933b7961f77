import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DaedalusError } from '../common/index.js';

/**
 * The page's files, built by esbuild into dist/ui/public at build time (scripts/build-ui.mjs).
 * From dist/ they sit beside this module; from src/ (tests) they are in the built tree.
 */
export function assetsDir(): string {
  const here = new URL('.', import.meta.url);
  const candidates = here.pathname.includes('/dist/') ? [new URL('./public/', here)] : [new URL('../../dist/ui/public/', here), new URL('./public/', here)];
  for (const c of candidates) if (existsSync(new URL('index.html', c))) return fileURLToPath(c);
  throw new DaedalusError('INTERNAL', 'the dashboard page is not built (dist/ui/public/index.html is missing)', 'run npm run build');
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface Asset {
  body: Buffer;
  type: string;
}

/** The few built files, read once: name → contents. Only these names are ever served. */
export function loadAssets(dir = assetsDir()): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of ['index.html', 'app.js', 'app.css']) {
    const ext = name.slice(name.lastIndexOf('.'));
    out.set(name, { body: readFileSync(`${dir}/${name}`), type: TYPES[ext] ?? 'application/octet-stream' });
  }
  return out;
}
