import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { DaedalusError } from '../common/index.js';

/**
 * Turns a path an agent gave (relative to its file root, or absolute inside it) into the logical
 * lock path shared by every worktree of the scope: relative, posix, no `.`/`..` segments, no
 * trailing slash; `.` stands for the whole root. Anything outside the root is PATH_ESCAPE.
 */
export function normaliseLockPath(root: string, input: string): string {
  const raw = input.trim();
  if (raw === '') {
    throw new DaedalusError('INVALID_INPUT', 'path is empty', 'give a file or directory path relative to your worktree root');
  }
  if (raw.includes('\0')) throw new DaedalusError('INVALID_INPUT', 'path contains a NUL byte', 'give a plain file path');
  const absRoot = resolve(root);
  const abs = isAbsolute(raw) ? resolve(raw) : resolve(absRoot, raw);
  const rel = relative(absRoot, abs);
  if (rel === '') return '.';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new DaedalusError(
      'PATH_ESCAPE',
      `path "${input}" is outside the root ${absRoot}`,
      'lock paths must stay inside your worktree; use a path relative to its root',
    );
  }
  return posix.normalize(rel.split(sep).join('/'));
}
