import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnGroup } from '../../src/harness/index.js';
import { alive, groupGone, waitFor } from '../run/helpers.js';

const SPAWN = fileURLToPath(new URL('../../dist/harness/spawn.js', import.meta.url));
const COMMON = fileURLToPath(new URL('../../dist/common/index.js', import.meta.url));

/** True while anything of the group is left, zombies included (what one kill(0) sees). */
function groupHasAnyProcess(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The throwaway supervisor's first line; fails (instead of waiting forever) if it exits without one. */
async function firstLine(parent: ChildProcess): Promise<string> {
  const exit = once(parent, 'exit').then(([code, signal]) => {
    throw new Error(`the throwaway supervisor exited (${String(code ?? signal)}) before saying anything`);
  });
  exit.catch(() => undefined); // once it has said its line, its later exit is no failure
  const [line] = (await Promise.race([once(parent.stdout!, 'data'), exit])) as [Buffer];
  return line.toString();
}

describe('the process-group guard', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it.each(['direct', 'helper'])('kills its agent when the supervisor holding its pipe is SIGKILLed (%s spawns)', async (how) => {
    // A throwaway supervisor: it starts a guarded `sleep 60`, says the pids, and waits to be killed.
    const code = `
      if (${JSON.stringify(how)} === 'helper') (await import(${JSON.stringify(COMMON)})).useSpawnHelper();
      const { spawnGroup } = await import(${JSON.stringify(SPAWN)});
      const p = await spawnGroup('sleep', ['60'], { cwd: '/', env: { PATH: process.env.PATH } });
      setTimeout(() => console.log(JSON.stringify({ pgid: p.pgid })), 200);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const { pgid } = JSON.parse(await firstLine(parent)) as { pgid: number };
    expect(groupGone(pgid)).toBe(false);
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    await waitFor('the guarded sleep to die', () => groupGone(pgid), 30_000, 20);
  });

  it.each(['direct', 'helper'])('escalates to SIGKILL for an agent that ignores SIGTERM when its supervisor is SIGKILLed (%s spawns)', async (how) => {
    const code = `
      if (${JSON.stringify(how)} === 'helper') (await import(${JSON.stringify(COMMON)})).useSpawnHelper();
      const { spawnGroup } = await import(${JSON.stringify(SPAWN)});
      const p = await spawnGroup('/bin/sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 1; done'], { cwd: '/', env: { PATH: process.env.PATH } });
      p.onEvent((e) => { if (e.kind === 'output' && e.text === 'ready') console.log(JSON.stringify({ pgid: p.pgid })); });
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const { pgid } = JSON.parse(await firstLine(parent)) as { pgid: number };
      parent.kill('SIGKILL');
      await once(parent, 'exit');
      // TERM is ignored; only the guard's SIGKILL, two seconds later, ends it.
      await waitFor('the stubborn agent to die', () => groupGone(pgid), 30_000, 20);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it.each(['direct', 'helper'])('hands every line an agent said to listeners that subscribe only after it exited (%s spawns)', async (how) => {
    // The supervisor subscribes after an await (its fence on the bus), and the helper delivers the
    // first output in the same read as the pid: neither may cost the agent's first words.
    const code = `
      if (${JSON.stringify(how)} === 'helper') (await import(${JSON.stringify(COMMON)})).useSpawnHelper();
      const { spawnGroup } = await import(${JSON.stringify(SPAWN)});
      const p = await spawnGroup('/bin/sh', ['-c', 'echo one; echo two >&2; echo three'], { cwd: '/', env: { PATH: process.env.PATH } });
      await p.exited;
      const first = [], second = [];
      p.onEvent((e) => first.push(e.text));
      p.onEvent((e) => second.push(e.text));
      setImmediate(() => setImmediate(() => { console.log(JSON.stringify({ first, second })); process.exit(0); }));
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const heard = JSON.parse(await firstLine(parent)) as { first: string[]; second: string[] };
      expect([...heard.first].sort()).toEqual(['one', 'three', 'two']);
      expect(heard.first.indexOf('one')).toBeLessThan(heard.first.indexOf('three'));
      expect(heard.second).toEqual(heard.first);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('reports how the agent ended, and terminate takes down what it left running', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'daedalus-spawn-'));
    dirs.push(dir);
    const ok = await spawnGroup('/bin/sh', ['-c', 'echo out; echo err >&2; exit 7'], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, logFile: join(dir, 'log') });
    const end = await ok.exited;
    expect(end).toMatchObject({ exitCode: 7, signal: null });
    expect(end.tail).toContain('out');
    expect(end.tail).toContain('err');

    // An agent that ignores SIGTERM and leaves a grandchild behind: SIGKILL after the grace period.
    const stubborn = await spawnGroup('/bin/sh', ['-c', 'trap "" TERM; sleep 60 & echo $!; wait'], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
    const lines: string[] = [];
    stubborn.onEvent((e) => e.kind === 'output' && lines.push(e.text));
    await waitFor('the grandchild pid', () => lines.length > 0, 5000, 20);
    const grandchild = Number(lines[0]);
    await stubborn.terminate(500);
    await waitFor('the group to be gone', () => groupGone(stubborn.pgid), 3000, 20);
    expect(alive(grandchild)).toBe(false);
  });

  it('leaves an empty group behind when its agent exits by itself, so one kill(0) tells it is over', async () => {
    // The old guard left its watcher (and the watcher's cat) to die after the pipe closed: the group
    // lived on, and only a scan of /proc could say whether what was left was alive.
    const p = await spawnGroup('/bin/sh', ['-c', 'echo done'], { cwd: '/', env: { PATH: process.env.PATH ?? '' } });
    const end = await p.exited;
    expect(end).toMatchObject({ exitCode: 0, tail: 'done' });
    expect(groupHasAnyProcess(p.pgid)).toBe(false);
  });

  it('kills what an agent that exited by itself left running, even when it ignores SIGTERM', async () => {
    const p = await spawnGroup('/bin/sh', ['-c', '(trap "" TERM; exec sleep 60 >/dev/null 2>&1) & echo $!'], { cwd: '/', env: { PATH: process.env.PATH ?? '' } });
    const end = await p.exited;
    const leftover = Number(end.tail);
    expect(leftover).toBeGreaterThan(1);
    await waitFor('the leftover to be killed', () => !alive(leftover), 30_000, 20);
  });

  it('with the spawn helper, a Ctrl-C to the supervisor\'s terminal group leaves its agents and its spawns working', async () => {
    // The supervisor decides what Ctrl-C means (it waits for its agents); a helper that died of the
    // group's SIGINT would take every agent's pipe, and so every agent, with it.
    const code = `
      const common = await import(${JSON.stringify(COMMON)});
      common.useSpawnHelper();
      const { spawnGroup } = await import(${JSON.stringify(SPAWN)});
      const p = await spawnGroup('sleep', ['60'], { cwd: '/', env: { PATH: process.env.PATH } });
      process.on('SIGINT', async () => {
        const r = await common.processSpawner().run('echo', ['still spawning'], { cwd: '/', env: { PATH: process.env.PATH } }).catch((e) => ({ stdout: 'failed: ' + e.message }));
        console.log(JSON.stringify({ after: r.stdout.trim() }));
      });
      console.log(JSON.stringify({ pgid: p.pgid }));
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    const lines: string[] = [];
    let rest = '';
    parent.stdout!.on('data', (b: Buffer) => {
      const parts = (rest + b.toString()).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter(Boolean));
    });
    try {
      await waitFor('the agent to start', () => lines.length > 0, 60_000, 20);
      const { pgid } = JSON.parse(lines[0]!) as { pgid: number };
      process.kill(-parent.pid!, 'SIGINT');
      await waitFor('the supervisor to spawn after the Ctrl-C', () => lines.length > 1, 60_000, 20);
      expect(JSON.parse(lines[1]!)).toEqual({ after: 'still spawning' });
      expect(groupGone(pgid)).toBe(false);
      parent.kill('SIGKILL');
      await waitFor('the agent to die with its supervisor', () => groupGone(pgid), 30_000, 20);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
