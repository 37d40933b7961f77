// Installs the real agent CLIs the end-to-end tests drive (test/e2e/agent-clis) with their own
// lockfile, so `npm ci` for Daedalus itself stays light. `--if-missing` skips the install when
// they are there already and the lockfile has not changed since (the `pretest` hook uses it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

const dir = new URL('../test/e2e/agent-clis/', import.meta.url).pathname;
const stamp = `${dir}node_modules/.daedalus-lock-hash`;
const lockHash = createHash('sha256').update(readFileSync(`${dir}package-lock.json`)).digest('hex');
const installed = ['claude', 'codex'].every((b) => existsSync(`${dir}node_modules/.bin/${b}`));
const current = existsSync(stamp) && readFileSync(stamp, 'utf8') === lockHash;

if (process.argv.includes('--if-missing') && installed && current) process.exit(0);

const started = Date.now();
console.log('installing the agent CLIs for the end-to-end tests (test/e2e/agent-clis)…');
const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('could not install the agent CLIs; the end-to-end tests need them (npm run setup:agents)');
  process.exit(r.status ?? 1);
}
writeFileSync(stamp, lockHash);
console.log(`agent CLIs installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
