import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveExecutable } from '../../common/index.js';
import { killGroup } from '../spawn.js';

/**
 * Every attempt gets a fresh CODEX_HOME (home.ts), and in a fresh home Codex spends 100–190 ms of
 * its start creating and migrating its SQLite databases and unpacking its system skills, before
 * it sends anything to the model. That state is the same for every home of one Codex binary until
 * a session writes to it, so Daedalus keeps one copy per binary — made by one throwaway Codex
 * process, in the background, the first time the binary is seen — and copies it into each new
 * home. Codex then finds its databases migrated and its skills current, as in a home it has used.
 *
 * A copy per home, never a shared database directory (CODEX_SQLITE_HOME): agents of different
 * tasks must not see each other's threads and memories, and several Codex processes starting at
 * once must not race to migrate one database.
 */

/** Where templates live under the Daedalus home, one folder per Codex binary. */
export const TEMPLATE_DIR = 'codex-template';

/** How long the throwaway Codex may take before it is killed and the binary marked as not templatable. */
const BUILD_TIMEOUT_MS = 60_000;

/**
 * The template folder for this binary, so an upgraded (or downgraded) Codex never meets databases
 * migrated by another version: named by its real path, size and modification time, and by the
 * package.json of the npm package it belongs to — npm gives every installed file the same fixed
 * modification time, and the launcher script of one Codex version can be byte for byte the next's.
 */
export function templateFor(daedalusHome: string, executable: string): string {
  const st = statSync(executable);
  const hash = createHash('sha256').update(`${executable}\0${st.size}\0${st.mtimeMs}\0`);
  const manifest = owningPackageJson(executable);
  if (manifest) hash.update(readFileSync(manifest));
  return join(daedalusHome, TEMPLATE_DIR, hash.digest('hex').slice(0, 16));
}

/** The package.json of the npm package a file is part of, looking a few folders up. */
function owningPackageJson(file: string): string | null {
  let dir = dirname(file);
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  return null;
}

/**
 * Seeds a new CODEX_HOME from the template of the Codex `command` will run, and starts building
 * that template in the background when there is none yet. True when the home was seeded.
 */
export function seedCodexHome(codexHome: string, command: string, env: Record<string, string>): boolean {
  const daedalusHome = env.DAEDALUS_HOME?.trim();
  const executable = daedalusHome ? resolveExecutable(command, env.PATH ?? process.env.PATH) : null;
  if (!daedalusHome || !executable) return false;
  try {
    const template = templateFor(daedalusHome, executable);
    if (seedFromTemplate(template, codexHome)) return true;
    void ensureTemplate(template, executable);
  } catch {
    // The binary went away meanwhile, or the home cannot be written: Codex will say so itself.
  }
  return false;
}

/**
 * Copies a finished template into a new CODEX_HOME. False when there is none (yet), or when the
 * copy failed (a full disk): what was copied is removed, since half a database is worse than none.
 */
export function seedFromTemplate(template: string, codexHome: string): boolean {
  const marker = join(template, 'ready');
  if (!existsSync(marker)) return false;
  const names = readdirSync(template).filter((n) => n !== 'ready');
  // Synchronous on purpose: about 1 MB in 13 ms here, where the promise-based copy made the
  // harness bench's launch step 30–40 ms longer.
  try {
    for (const name of names) cpSync(join(template, name), join(codexHome, name), { recursive: true });
    markUsed(marker);
    return true;
  } catch {
    for (const name of names) rmSync(join(codexHome, name), { recursive: true, force: true });
    return false;
  }
}

/**
 * A template nobody seeded a home from for this long belongs to a Codex that is gone (upgraded,
 * uninstalled): it is removed when the next template is built. About 1 MB each otherwise stays for good.
 */
const UNUSED_TEMPLATE_MS = 30 * 24 * 60 * 60 * 1000;
/** How often a template's last use is written down: a launch pays one `utimes` a day, not one each. */
const MARK_USE_EVERY_MS = 24 * 60 * 60 * 1000;

/** How long ago a file or folder was last modified; throws when it is gone. */
function ageMs(path: string): number {
  return Date.now() - statSync(path).mtimeMs;
}

/** The `ready` marker's modification time is the template's last use. */
function markUsed(marker: string): void {
  try {
    const now = new Date();
    if (ageMs(marker) > MARK_USE_EVERY_MS) utimesSync(marker, now, now);
  } catch {
    // removed meanwhile: the copy was made all the same
  }
}

/** Removes the templates (and failure notes) of other binaries that have gone unused. */
function pruneUnused(root: string, keep: string): void {
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (path === keep || name.startsWith('.build-') || name.endsWith('.building')) continue;
    try {
      if (ageMs(name.endsWith('.failed') ? path : join(path, 'ready')) > UNUSED_TEMPLATE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // a template being replaced, or not one of ours: left alone
    }
  }
}

/** Builds in flight in this process, so a burst of attempts starts one build per binary. */
const building = new Map<string, Promise<void>>();

/**
 * Starts building the template for `executable` unless it exists, failed before, or is being
 * built (here or by another Daedalus process). Never throws: a template only saves time.
 */
export function ensureTemplate(template: string, executable: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  if (existsSync(join(template, 'ready')) || failedRecently(template)) return Promise.resolve();
  const inFlight = building.get(template);
  if (inFlight) return inFlight;
  const job = buildTemplate(template, executable, opts.timeoutMs ?? BUILD_TIMEOUT_MS)
    .catch((e: unknown) => {
      try {
        writeFileSync(`${template}.failed`, `${e instanceof Error ? e.message : String(e)}\n`);
      } catch {
        // the Daedalus home is gone: nothing to remember it in
      }
    })
    .finally(() => building.delete(template));
  building.set(template, job);
  return job;
}

/** A failed build is not tried again for a day: a Codex that cannot make one costs a process per attempt otherwise. */
const RETRY_FAILED_AFTER_MS = 24 * 60 * 60 * 1000;

function failedRecently(template: string): boolean {
  try {
    return ageMs(`${template}.failed`) < RETRY_FAILED_AFTER_MS;
  } catch {
    return false;
  }
}

/** A build folder another process left behind longer ago than this is abandoned. */
const STALE_BUILD_MS = 2 * BUILD_TIMEOUT_MS;

/** The build lock: a folder. One older than any build was left by a process that died; it is taken over. */
function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch {
    try {
      if (ageMs(lock) < STALE_BUILD_MS) return false;
      rmSync(lock, { recursive: true, force: true });
      mkdirSync(lock);
      return true;
    } catch {
      return false;
    }
  }
}

/** Build folders of processes that died mid-build. */
function sweepAbandonedBuilds(root: string): void {
  for (const name of readdirSync(root)) {
    if (!name.startsWith('.build-')) continue;
    try {
      if (ageMs(join(root, name)) > STALE_BUILD_MS) rmSync(join(root, name), { recursive: true, force: true });
    } catch {
      // taken by its owner meanwhile
    }
  }
}

async function buildTemplate(template: string, executable: string, timeoutMs: number): Promise<void> {
  const root = join(template, '..');
  mkdirSync(root, { recursive: true });
  const lock = `${template}.building`;
  if (!takeLock(lock)) return;
  sweepAbandonedBuilds(root);
  const work = mkdtempSync(join(root, '.build-'));
  try {
    const home = join(work, 'home');
    mkdirSync(home);
    // A command that opens Codex's state and then has nothing to do: it sets up the home, finds no
    // such session and exits. No model, network or user file is involved.
    await runCodex(executable, ['archive', 'daedalus-template-no-such-session'], { HOME: work, CODEX_HOME: home, PATH: process.env.PATH ?? '' }, timeoutMs);
    const databases = readdirSync(home).filter((n) => n.endsWith('.sqlite'));
    if (databases.length === 0) throw new Error(`${executable} created no databases in a fresh CODEX_HOME; attempts start without a template`);
    const { default: Database } = await import('better-sqlite3');
    for (const name of databases) {
      // Fold the write-ahead log into the file, so each copy is the database file alone.
      const db = new Database(join(home, name));
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    }
    const keep = new Set([...databases, 'skills']);
    for (const name of readdirSync(home)) if (!keep.has(name)) rmSync(join(home, name), { recursive: true, force: true });
    writeFileSync(join(home, 'ready'), `${executable}\n`);
    try {
      renameSync(home, template);
    } catch (e) {
      // Built by someone else meanwhile: theirs is as good.
      if (!existsSync(join(template, 'ready'))) throw e;
    }
    pruneUnused(root, template);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds still running when this process exits: killed with it, whatever they are. */
const running = new Set<number>();
let exitHookInstalled = false;

/**
 * Runs the throwaway Codex in a process group of its own, so a timeout kills whatever it started.
 * It does not keep the supervisor alive: a run that ends first takes it down on its way out.
 */
function runCodex(executable: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<void> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => running.forEach((pid) => killGroup(pid, 'SIGKILL')));
  }
  return new Promise((done, fail) => {
    const child = spawn(executable, args, { env, stdio: 'ignore', detached: true });
    child.unref();
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
    }, timeoutMs);
    timer.unref();
    const settle = () => {
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
    };
    child.once('error', (e) => {
      settle();
      fail(e);
    });
    child.once('exit', () => {
      settle();
      if (timedOut) fail(new Error(`${executable} ${args[0]} did not exit within ${timeoutMs / 1000}s`));
      else done();
    });
  });
}
