// `npm run bench -- NAME...` runs bench/NAME.bench.ts for each name (all of them without names).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const dir = new URL('../bench/', import.meta.url);
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((n) => !available.includes(n));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const name of wanted.length > 0 ? wanted : available) {
  // Flags (`--tasks=200`) go to every benchmark run; each reads the ones it knows.
  const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(`${name}.bench.ts`, dir).pathname, ...flags], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
