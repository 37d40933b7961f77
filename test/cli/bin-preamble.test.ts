import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const PROBE = fileURLToPath(new URL('fixtures/env-probe.cjs', import.meta.url));

interface Seen {
  when: 'start' | 'exit';
  pid: number;
  argv: string[];
  arenas: string | null;
  mark: string | null;
}

/** Runs the bin as a shell runs it (by its path, through its first line), with the probe loaded. */
async function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ pid: number; code: number | null; seen: Seen[] }> {
  const base = { ...process.env };
  delete base.MALLOC_ARENA_MAX;
  delete base.DAEDALUS_SET_MALLOC_ARENA_MAX;
  const child = spawn(BIN, args, { env: { ...base, ...env, NODE_OPTIONS: `--require ${PROBE}` }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const seen = err
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Seen);
  return { pid: child.pid!, code, seen };
}

describe('the bin starts Node with few malloc arenas', () => {
  it('sets MALLOC_ARENA_MAX=2 before Node starts, in the same process, and does not hand it to children', async () => {
    const r = await runBin(['--version']);
    expect(r.code).toBe(0);
    const [start, exit] = r.seen;
    expect(start).toMatchObject({ when: 'start', arenas: '2', mark: '1' });
    // exec, not a child: the pid a caller holds (to signal or kill it) is Node's own.
    expect(start!.pid).toBe(r.pid);
    // malloc read it at start; what the CLI spawns (agents, git, commands) gets the user's environment.
    expect(exit).toMatchObject({ when: 'exit', arenas: null, mark: null });
  });

  it("keeps the user's own MALLOC_ARENA_MAX, for the process and its children", async () => {
    const r = await runBin(['--version'], { MALLOC_ARENA_MAX: '4' });
    expect(r.seen).toEqual([
      expect.objectContaining({ when: 'start', arenas: '4', mark: null }),
      expect.objectContaining({ when: 'exit', arenas: '4', mark: null }),
    ]);
  });

  it('passes every argument through the shell unchanged', async () => {
    const args = ['--version', 'two words', '$HOME', '"quoted"', "it's", '*', ''];
    const r = await runBin(args);
    expect(r.seen[0]!.argv).toEqual(args);
  });
});
