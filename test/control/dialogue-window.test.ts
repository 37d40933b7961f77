import { describe, expect, it } from 'vitest';
import { ensureControlPlane, openDialogueWindow } from '../../src/control/index.js';
import { privateSocket } from '../helpers/tmux.js';
import { useRunWorld } from '../run/helpers.js';

describe('seed dialogue in the control plane', () => {
  const w = useRunWorld();

  it('runs in a window of its own that stays when it ends; without a control plane it is not opened', async () => {
    const server = privateSocket();
    try {
      expect(await openDialogueWindow({ socket: server.socket, cwd: w.repo.root, args: ['--turns', '2'] })).toBeNull();
      const env = { ...process.env, DAEDALUS_CONTROL_SOCKET: server.socket, DAEDALUS_HOME: w.home };
      await ensureControlPlane({ scope: w.scope, bus: w.bus, chiefCommand: `sh -c 'exec tail -f /dev/null'`, gitCommand: `sh -c 'exec tail -f /dev/null'`, env });
      expect(await openDialogueWindow({ socket: server.socket, cwd: w.repo.root, args: ['--turns', '2'] })).toBe('dialogue');
      const windows = server.tmux(['list-windows', '-t', '=daedalus', '-F', '#{window_name}|#{remain-on-exit}']).split('\n');
      expect(windows).toContain('dialogue|on');
      const start = server.tmux(['display-message', '-p', '-t', '=daedalus:dialogue', '#{pane_start_command}']);
      expect(start).toMatch(/seed.+dialogue.+--here.+--turns.+2/);
    } finally {
      server.kill();
    }
  });
});
