#!/usr/bin/env node
/**
 * The scripted agent: it behaves like a real coding agent from Daedalus's side — its own
 * `daedalus mcp` server over stdio, adoption through DAEDALUS_INSTANCE_ID, progress, annotations,
 * locks, real file edits and a commit, then complete_task — but follows its package's `script:`
 * instead of a model. Behaviours for tests: complete, fail, hang, crash, slow, conflict-edit,
 * exceed-memory.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { processAlive } from '../common/index.js';
import type { ScriptSpec } from '../plan/index.js';

interface ScriptPackage {
  id: string;
  description: string;
  script?: ScriptSpec;
}

const env = process.env;
const pkg = JSON.parse(readFileSync(env.DAEDALUS_PACKAGE_FILE ?? '', 'utf8')) as ScriptPackage;
const attempt = Number(env.DAEDALUS_ATTEMPT ?? '1');
const script: ScriptSpec = pkg.script ?? { behaviour: 'complete', writes: {} };
// A behaviour can be limited to the first attempts, so a test can crash once and then succeed.
const later = script.untilAttempt !== undefined && attempt > script.untilAttempt;
const behaviour = later ? 'complete' : script.behaviour;
const writes = later && script.laterWrites ? script.laterWrites : (script.writes ?? {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stdout.write(`[script ${pkg.id}] ${line}\n`);

const daedalus = JSON.parse(env.DAEDALUS_CLI_ARGV ?? '[]') as string[];
const client = new Client({ name: 'daedalus-script-agent', version: '1' });
await client.connect(
  new StdioClientTransport({ command: daedalus[0]!, args: [...daedalus.slice(1), 'mcp'], env: env as Record<string, string>, stderr: 'inherit' }),
);

async function call(name: string, args: Record<string, unknown> = {}): Promise<unknown> {
  const r = await client.callTool({ name, arguments: args });
  const text = (r.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
  if (r.isError) throw new Error(`${name}: ${text}`);
  return text;
}

/** Locks a file as a careful agent does: when someone else holds it, wait for the release. */
async function lock(path: string): Promise<void> {
  for (;;) {
    try {
      await call('lock_file', { path, reason: `${pkg.id} writes it` });
      return;
    } catch (e) {
      if (!(e as Error).message.includes('LOCK_HELD')) throw e;
      log(`waiting for the lock on ${path}`);
      await call('wait_for_activity', { timeout_seconds: 5 });
    }
  }
}

async function progress(text: string): Promise<void> {
  log(text);
  await call('report_progress', { text });
}

/** Spends the package's duration in steps, reporting progress so the overseer sees it alive; then waits for script.wait_for. */
async function work(totalMs: number, label: string): Promise<void> {
  await spend(totalMs, label);
  if (!script.waitFor) return;
  while (!existsSync(script.waitFor)) {
    await sleep(200);
    await progress(`waiting for ${script.waitFor}`);
  }
}

async function spend(totalMs: number, label: string): Promise<void> {
  const steps = Math.max(1, Math.ceil(totalMs / 500));
  for (let i = 1; i <= steps; i++) {
    await sleep(totalMs / steps);
    if (i < steps) await progress(`${label} ${Math.round((i / steps) * 100)}%`);
  }
}

function writeFiles(): string[] {
  const files = Object.keys(writes).sort();
  for (const f of files) {
    const path = join(process.cwd(), f);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, writes[f]!);
  }
  return files;
}

function commit(files: string[]): void {
  if (files.length === 0) return;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Icarus', '-c', 'user.email=icarus@localhost', '-c', 'commit.gpgsign=false', ...args], { stdio: 'pipe' });
  git('add', '--', ...files);
  git('commit', '--no-verify', '-q', '-m', `${pkg.id}: ${pkg.description.split('\n')[0]!.slice(0, 60)}`);
}

/**
 * DAEDALUS_SCRIPT_LEDGER, for tests that prove attempts never overlap: each attempt appends
 * `start TASK ATTEMPT PID`, after appending `overlap TASK EARLIER ATTEMPT` for every earlier
 * attempt of its task whose process is still alive.
 */
function signLedger(): void {
  const ledger = env.DAEDALUS_SCRIPT_LEDGER;
  if (!ledger) return;
  const task = env.DAEDALUS_TASK_ID ?? pkg.id;
  const lines = existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n') : [];
  for (const line of lines) {
    const [kind, t, a, pid] = line.split(' ');
    if (kind === 'start' && t === task && Number(a) < attempt && processAlive(Number(pid))) appendFileSync(ledger, `overlap ${task} ${a} ${attempt}\n`);
  }
  appendFileSync(ledger, `start ${task} ${attempt} ${process.pid}\n`);
}

/** Ends nothing: the agent stays, deaf to SIGTERM, until something kills it for good. */
function linger(): Promise<never> {
  process.on('SIGTERM', () => log('ignoring SIGTERM'));
  log('lingering after the end of its task');
  return new Promise(() => setInterval(() => undefined, 1000));
}

signLedger();
await call('whoami');
await progress(`starting (attempt ${attempt}, ${behaviour})`);

switch (behaviour) {
  case 'crash':
    await work(Math.min(script.durationMs ?? 300, 1000), 'working');
    // Half-done work stays in the worktree, uncommitted, for the next attempt to find.
    writeFiles();
    log('crashing');
    process.exit(script.exitCode ?? 3);
    break;
  case 'hang':
    log('hanging without a word');
    await new Promise(() => undefined);
    break;
  case 'exceed-memory': {
    const hog: Buffer[] = [];
    const target = script.memoryBytes ?? 2 * 1024 ** 3;
    for (let held = 0; held < target; held += 16 * 1024 ** 2) {
      hog.push(Buffer.alloc(16 * 1024 ** 2, 1));
      await sleep(20);
    }
    await progress(`holding ${Math.round(target / 1024 ** 2)} MB`);
    await new Promise(() => undefined);
    break;
  }
  case 'fail':
    await work(script.durationMs ?? 200, 'working');
    await call('fail_task', { error: `scripted failure of ${pkg.id}`, retryable: false, kind: 'scripted' });
    process.exit(script.exitCode ?? 0);
    break;
  case 'fail-and-linger':
    await work(script.durationMs ?? 200, 'working');
    await call('fail_task', { error: `scripted failure of ${pkg.id}; another attempt may do better`, retryable: true, kind: 'scripted' });
    await linger();
    break;
  default: {
    // complete and slow differ only in their scripts' durations and files. conflict-edit takes no
    // locks: it is the edit that locks did not prevent, so the clash shows at the merge.
    const files = behaviour === 'conflict-edit' ? [] : Object.keys(writes).sort();
    for (const f of files) await lock(f);
    await work(script.durationMs ?? (behaviour === 'slow' ? 5000 : 200), 'working');
    const written = writeFiles();
    commit(written);
    for (const f of written) await call('annotate', { file: f, kind: 'progress', text: `written by ${pkg.id}` });
    for (const f of files) await call('unlock_file', { path: f });
    await call('complete_task', {
      summary: `${pkg.id}: ${pkg.description.split('\n')[0]}`,
      files_changed: [...written, ...(script.claims ?? [])],
      tests_run: [],
      follow_ups: [],
    });
    log('done');
    if (behaviour === 'complete-and-linger') await linger();
  }
}
await client.close();
process.exit(0);
