import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ensureTemplate, seedCodexHome, seedFromTemplate, templateFor } from '../../src/harness/codex/template.js';
import { resolveExecutable } from '../../src/common/index.js';

/**
 * A stand-in for Codex's first start in a fresh CODEX_HOME: a database in WAL mode whose rows are
 * still in the log, unpacked skills, and files that must not travel (an installation id). Each
 * start appends a line to a counter file, so the tests can count builds.
 */
const FAKE_CODEX = `#!/usr/bin/env node
const { appendFileSync, mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
appendFileSync(process.env.COUNTER_FILE || '/dev/null', process.argv.slice(2).join(' ') + '\\n');
const home = process.env.CODEX_HOME;
const db = new Database(join(home, 'state_9.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('wal_autocheckpoint = 0');
db.exec("CREATE TABLE migrations (version INTEGER); INSERT INTO migrations VALUES (1), (2), (3)");
mkdirSync(join(home, 'skills', '.system'), { recursive: true });
writeFileSync(join(home, 'skills', '.system', '.marker'), 'v9');
writeFileSync(join(home, 'installation_id'), 'not-for-copies');
// Exit without closing: the rows stay in the write-ahead log, as a killed or hasty process leaves them.
process.exit(1);
`;

let dir: string;
let daedalusHome: string;
let counter: string;

function fake(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body.replace('process.env.COUNTER_FILE', JSON.stringify(counter)), { mode: 0o755 });
  return file;
}

const builds = () => (existsSync(counter) ? readFileSync(counter, 'utf8').trim().split('\n').filter(Boolean).length : 0);

function freshHome(name: string): string {
  const home = join(dir, name);
  mkdirSync(home);
  return home;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'daedalus-codex-template-'));
  daedalusHome = join(dir, 'daedalus-home');
  counter = join(dir, 'builds.txt');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Codex home templates', () => {
  test('the first home starts a build; later homes get its databases, logs folded in, and its skills, and nothing else', async () => {
    const codex = fake('codex', FAKE_CODEX);
    const env = { DAEDALUS_HOME: daedalusHome };
    expect(seedCodexHome(freshHome('first'), codex, env)).toBe(false);
    const template = templateFor(daedalusHome, resolveExecutable(codex, undefined)!);
    await ensureTemplate(template, codex);
    expect(builds()).toBe(1);
    expect(readdirSync(template).sort()).toEqual(['ready', 'skills', 'state_9.sqlite']);

    const a = freshHome('a');
    const b = freshHome('b');
    expect(seedCodexHome(a, codex, env)).toBe(true);
    expect(seedCodexHome(b, codex, env)).toBe(true);
    expect(builds()).toBe(1);
    expect(readdirSync(a).sort()).toEqual(['skills', 'state_9.sqlite']);
    expect(readFileSync(join(a, 'skills', '.system', '.marker'), 'utf8')).toBe('v9');
    // The copy is the database file alone, yet holds what the build's process left in its log.
    const rows = (home: string) => {
      const db = new Database(join(home, 'state_9.sqlite'), { readonly: true });
      try {
        return (db.prepare('SELECT version FROM migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
      } finally {
        db.close();
      }
    };
    expect(rows(a)).toEqual([1, 2, 3]);

    // Each home has its own copy: one agent's writes reach neither another agent nor the template.
    const db = new Database(join(a, 'state_9.sqlite'));
    db.exec('INSERT INTO migrations VALUES (42)');
    db.close();
    expect(rows(a)).toEqual([1, 2, 3, 42]);
    expect(rows(b)).toEqual([1, 2, 3]);
    expect(rows(template)).toEqual([1, 2, 3]);
  });

  test('a copy that fails half-way leaves no half of the template behind', async () => {
    const codex = fake('codex', FAKE_CODEX);
    await ensureTemplate(templateFor(daedalusHome, codex), codex);
    const home = freshHome('h');
    // Where the skills folder goes there is a file: that part of the copy fails, whichever comes first.
    writeFileSync(join(home, 'skills'), 'in the way');
    expect(seedCodexHome(home, codex, { DAEDALUS_HOME: daedalusHome })).toBe(false);
    expect(readdirSync(home)).not.toContain('state_9.sqlite');
  });

  test('another Codex binary (an upgrade, a downgrade) gets a template of its own', async () => {
    const codex = fake('codex', FAKE_CODEX);
    const before = templateFor(daedalusHome, codex);
    await ensureTemplate(before, codex);
    writeFileSync(codex, `${FAKE_CODEX}// a new version\n`);
    const after = templateFor(daedalusHome, codex);
    expect(after).not.toBe(before);
    expect(seedCodexHome(freshHome('h'), codex, { DAEDALUS_HOME: daedalusHome })).toBe(false);
    await ensureTemplate(after, codex);
    expect(existsSync(join(after, 'ready'))).toBe(true);
  });

  test('an npm-installed Codex of another version gets its own template, even with the same launcher file', () => {
    const install = (version: string) => {
      const pkg = join(dir, `node_modules-${version}`, '@openai', 'codex');
      mkdirSync(join(pkg, 'bin'), { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@openai/codex', version }));
      const launcher = join(pkg, 'bin', 'codex.js');
      writeFileSync(launcher, FAKE_CODEX, { mode: 0o755 });
      // npm gives every file it installs one fixed modification time.
      const npmTime = new Date('1985-10-26T08:15:00Z');
      utimesSync(launcher, npmTime, npmTime);
      return launcher;
    };
    const key = (launcher: string) => templateFor(daedalusHome, launcher).split('/').at(-1);
    const a = install('0.169.0');
    const b = install('0.170.0');
    expect(readFileSync(a)).toEqual(readFileSync(b));
    expect(key(a)).not.toBe(key(b));
    // The same install keeps its key.
    expect(templateFor(daedalusHome, a)).toBe(templateFor(daedalusHome, a));
  });

  test('a burst of attempts starts one build', async () => {
    const codex = fake('codex', FAKE_CODEX);
    const template = templateFor(daedalusHome, codex);
    await Promise.all([ensureTemplate(template, codex), ensureTemplate(template, codex), ensureTemplate(template, codex)]);
    expect(builds()).toBe(1);
  });

  test('a build another process holds is left to it; one it abandoned long ago is taken over', async () => {
    const codex = fake('codex', FAKE_CODEX);
    const template = templateFor(daedalusHome, codex);
    mkdirSync(`${template}.building`, { recursive: true });
    await ensureTemplate(template, codex);
    expect(builds()).toBe(0);
    expect(existsSync(join(template, 'ready'))).toBe(false);

    const longAgo = new Date(Date.now() - 24 * 3600 * 1000);
    utimesSync(`${template}.building`, longAgo, longAgo);
    await ensureTemplate(template, codex);
    expect(builds()).toBe(1);
    expect(existsSync(join(template, 'ready'))).toBe(true);
    expect(existsSync(`${template}.building`)).toBe(false);
  });

  test('a command that makes no databases is remembered as such; attempts start without a template', async () => {
    const codex = fake('not-codex', `#!/bin/sh\necho "$@" >> process.env.COUNTER_FILE\n`);
    const env = { DAEDALUS_HOME: daedalusHome };
    const template = templateFor(daedalusHome, codex);
    await ensureTemplate(template, codex);
    expect(readFileSync(`${template}.failed`, 'utf8')).toMatch(/created no databases in a fresh CODEX_HOME/);
    const home = freshHome('h');
    expect(seedCodexHome(home, codex, env)).toBe(false);
    await ensureTemplate(template, codex);
    expect(builds()).toBe(1);
    expect(readdirSync(home)).toEqual([]);
    expect(readdirSync(join(daedalusHome, 'codex-template')).filter((n) => n.startsWith('.build-'))).toEqual([]);
  });

  test('a command that never exits is killed with everything it started, and remembered as failed', async () => {
    // The child is found by its own argument, so the check needs no word from the stand-in however
    // slowly the machine runs it; the stand-in starts that child before anything else.
    const marker = `daedalus-template-hang-${process.pid}-${Date.now()}`;
    const codex = fake('hangs', `#!/bin/sh\nsh -c 'sleep 600; :' ${marker} &\nexec sleep 600\n`);
    const template = templateFor(daedalusHome, codex);
    await ensureTemplate(template, codex, { timeoutMs: 3000 });
    expect(readFileSync(`${template}.failed`, 'utf8')).toMatch(/did not exit within 3s/);
    const carrying = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker) && !/^\d+ \([^)]*\) Z/.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
          } catch {
            return false;
          }
        });
    // A killed process is gone once the kernel has run its exit: wait for that, not for a time.
    for (let i = 0; i < 200 && carrying().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(carrying()).toEqual([]);
  });

  test('without a Daedalus home or a Codex to be found, a home is left as it is', () => {
    const home = freshHome('h');
    expect(seedCodexHome(home, fake('codex', FAKE_CODEX), {})).toBe(false);
    expect(seedCodexHome(home, 'no-such-codex-binary', { DAEDALUS_HOME: daedalusHome, PATH: dir })).toBe(false);
    expect(readdirSync(home)).toEqual([]);
    expect(existsSync(daedalusHome)).toBe(false);
  });

  test('templates of binaries nobody used for a month are removed when a new one is built; a used one is kept', async () => {
    const codex = fake('codex', FAKE_CODEX);
    const root = join(daedalusHome, 'codex-template');
    const stamp = (path: string, daysAgo: number) => {
      const t = (Date.now() - daysAgo * 24 * 60 * 60 * 1000) / 1000;
      utimesSync(path, t, t);
    };
    const oldTemplate = (name: string, daysAgo: number) => {
      mkdirSync(join(root, name), { recursive: true });
      writeFileSync(join(root, name, 'ready'), 'an older codex\n');
      stamp(join(root, name, 'ready'), daysAgo);
    };
    oldTemplate('gone-codex', 40);
    oldTemplate('recent-codex', 2);
    // Last used 40 days ago by its stamp, but a home is seeded from it now: that counts as use.
    oldTemplate('in-use-codex', 40);
    writeFileSync(join(root, 'gone-codex-2.failed'), 'made no databases\n');
    stamp(join(root, 'gone-codex-2.failed'), 40);
    expect(seedFromTemplate(join(root, 'in-use-codex'), freshHome('in-use'))).toBe(true);

    const template = templateFor(daedalusHome, resolveExecutable(codex, undefined)!);
    await ensureTemplate(template, codex);
    expect(readdirSync(root).sort()).toEqual([template.slice(root.length + 1), 'in-use-codex', 'recent-codex'].sort());
  });
});
