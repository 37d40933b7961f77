import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnGroup } from '../../src/harness/index.js';
import { alive, groupGone, waitFor } from '../run/helpers.js';

const SPAWN = fileURLToPath(new URL('../../dist/harness/spawn.js', import.meta.url));

describe('the process-group guard', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('kills its agent when the supervisor holding its pipe is SIGKILLed', async () => {
    // A throwaway supervisor: it starts a guarded `sleep 60`, says the pids, and waits to be killed.
    const code = `
      const { spawnGroup } = await import(${JSON.stringify(SPAWN)});
      const p = await spawnGroup('sleep', ['60'], { cwd: '/', env: { PATH: process.env.PATH } });
      setTimeout(() => console.log(JSON.stringify({ pgid: p.pgid })), 200);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const { pgid } = JSON.parse(line.toString()) as { pgid: number };
    expect(groupGone(pgid)).toBe(false);
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    await waitFor('the guarded sleep to die', () => groupGone(pgid), 30_000, 20);
  });

  it('escalates to SIGKILL for an agent that ignores SIGTERM when its supervisor is SIGKILLed', async () => {
    const code = `
      const { spawnGroup } = await import(${JSON.stringify(SPAWN)});
      const p = await spawnGroup('/bin/sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 1; done'], { cwd: '/', env: { PATH: process.env.PATH } });
      p.onEvent((e) => { if (e.kind === 'output' && e.text === 'ready') console.log(JSON.stringify({ pgid: p.pgid })); });
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const { pgid } = JSON.parse(line.toString()) as { pgid: number };
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    // TERM is ignored; only the guard's SIGKILL, two seconds later, ends it.
    await waitFor('the stubborn agent to die', () => groupGone(pgid), 30_000, 20);
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
});
