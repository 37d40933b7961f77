import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../run/helpers.js';
import { useUiWorld } from './helpers.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function daedalus(args: string[], bus: string, home: string) {
  const child = spawn(process.execPath, [CLI, '--bus', bus, ...args], { env: { ...process.env, DAEDALUS_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  const io = { out: '', err: '' };
  child.stdout.on('data', (d: Buffer) => (io.out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (io.err += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, io, exited };
}

describe('daedalus ui', () => {
  const w = useUiWorld();

  it('prints one tokened URL on loopback, serves the built page, is on the bus as an observer, and stops on Ctrl-C', async () => {
    const ui = daedalus(['ui', '--scope', w.scope], w.bus, w.home);
    try {
      const url = await waitFor('the URL', () => /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(ui.io.out)?.[0], 30_000);
      expect(ui.io.out.match(/http:\/\//g)).toHaveLength(1);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/assets/app.js');
      expect((await fetch(url.replace(/\?token=.*/, 'api/overview'))).status).toBe(401);
      const [me] = await w.store.listInstances(w.scope, { role: 'observer' });
      expect(me).toMatchObject({ label: 'origin:daedalus role:dashboard', status: 'idle' });
      ui.child.kill('SIGINT');
      expect(await ui.exited).toBe(0);
      expect((await w.store.getInstance(me!.id))?.status).toBe('gone');
    } finally {
      ui.child.kill('SIGKILL');
    }
  });

  it('refuses a non-loopback --host without --allow-remote, with a hint and exit 2', async () => {
    const ui = daedalus(['ui', '--host', '0.0.0.0', '--scope', w.scope], w.bus, w.home);
    expect(await ui.exited).toBe(2);
    expect(ui.io.err).toContain('--host 0.0.0.0 is not a loopback address');
    expect(ui.io.err).toContain('hint: add --allow-remote');
    expect(ui.io.out).toBe('');
  });
});
