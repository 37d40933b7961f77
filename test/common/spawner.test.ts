import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { directSpawner, processAlive, SpawnError, type Spawner } from '../../src/common/index.js';
import { HelperSpawner } from '../../src/common/spawner.js';
import { waitFor } from '../run/helpers.js';

const HELPER = fileURLToPath(new URL('../../dist/common/spawn-helper.js', import.meta.url));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

const started: HelperSpawner[] = [];
afterEach(() => {
  for (const h of started.splice(0)) {
    try {
      if (h.pid) process.kill(h.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function helper(): HelperSpawner {
  const h = new HelperSpawner(HELPER);
  started.push(h);
  return h;
}

describe.each([
  ['direct', () => directSpawner],
  ['helper', helper],
] as [string, () => Spawner][])('the %s spawner', (_name, make) => {
  it('runs a command to its end with its input, output, errors and exit code', async () => {
    const s = make();
    const r = await s.run('/bin/sh', ['-c', 'cat; echo to-err >&2; exit 3'], { cwd: '/tmp', env, input: 'from stdin ✓\n' });
    expect(r).toEqual({ stdout: 'from stdin ✓\n', stderr: 'to-err\n', code: 3, signal: null });
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => s.run('/bin/sh', ['-c', `echo ${i}`], { cwd: '/', env })));
    expect(many.map((m) => m.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('says ENOENT for a command or working directory that does not exist', async () => {
    const s = make();
    await expect(s.run('no-such-command-here', [], { cwd: '/', env })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(s.run('true', [], { cwd: '/no/such/dir', env })).rejects.toBeInstanceOf(SpawnError);
  });

  it('ends a command when its signal aborts', async () => {
    const ac = new AbortController();
    const running = make().run('sleep', ['60'], { cwd: '/', env, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(running).resolves.toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('streams a group leader’s output in order, then its exit and the pipes closing', async () => {
    const chunks: string[] = [];
    const g = await make().group('/bin/sh', ['-c', 'for i in 1 2 3; do echo line$i; done; echo oops >&2; exit 4'], { cwd: '/', env, onOutput: (b, s) => chunks.push(`${s}:${b.toString()}`) });
    expect(g.pid).toBeGreaterThan(1);
    await expect(g.exit).resolves.toEqual({ code: 4, signal: null });
    await g.closed;
    expect(g.hasExited()).toBe(true);
    expect(chunks.filter((c) => c.startsWith('1:')).join('').replace(/1:/g, '')).toBe('line1\nline2\nline3\n');
    expect(chunks.filter((c) => c.startsWith('2:'))).toEqual(['2:oops\n']);
  });
});

describe('the spawn helper', () => {
  it('fails the commands in flight when it dies, and a new helper serves the next ones', async () => {
    const h = helper();
    await h.run('true', [], { cwd: '/', env });
    const first = h.pid!;
    const inFlight = h.run('sleep', ['60'], { cwd: '/', env });
    const group = await h.group('sleep', ['60'], { cwd: '/', env, onOutput: () => undefined });
    process.kill(first, 'SIGKILL');
    await expect(inFlight).rejects.toMatchObject({ code: 'EHELPER' });
    // The group's guard lost its pipe with the helper: the leader is reported gone.
    await expect(group.exit).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    const after = await h.run('/bin/sh', ['-c', 'echo again'], { cwd: '/', env });
    expect(after.stdout).toBe('again\n');
    expect(h.pid).not.toBe(first);
  });

  it('exits when the process that started it is gone, instead of lingering', async () => {
    const h = helper();
    await h.run('true', [], { cwd: '/', env });
    const pid = h.pid!;
    // Its stdin closing is what the death of its parent looks like to it.
    h.close();
    await waitFor('the helper to exit', () => !processAlive(pid), 30_000, 10);
  });
});

describe('processAlive', () => {
  it('answers for one process only: 0 and negative numbers name process groups (ours among them), never a live process', () => {
    expect(processAlive(process.pid)).toBe(true);
    // An empty pid file reads as 0: kill(0, 0) would succeed for our own group.
    expect(processAlive(0)).toBe(false);
    expect(processAlive(-process.pid)).toBe(false);
    expect(processAlive(Number.NaN)).toBe(false);
  });
});
