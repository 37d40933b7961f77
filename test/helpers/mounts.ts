import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

/** Mounting a small filesystem needs root (CAP_SYS_ADMIN); where that is refused those tests cannot run. */
export function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = `/tmp/daedalus-mount-probe-${process.pid}`;
  mkdirSync(probe, { recursive: true });
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
}
