import { linkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether anything wrote a worktree's index since provisioning. Git (and libgit2, and JGit) never
 * edits an index in place: every write goes to `index.lock`, which is renamed over it, so anything
 * that staged a change in between — an agent's `git add`, a commit, a checkout, a merge, even a
 * status that refreshed it — leaves another file behind. The stamp is that file's inode, size and
 * times. A hard link keeps the provisioned index's inode allocated, so the number cannot be
 * handed to a later index file and make it look like the first.
 */
const KEEP = 'daedalus-provisioned-index';

/** Records the index as it is now; null when it cannot be kept (no index, no hard links). */
export function stampIndex(gitDir: string): string | null {
  const keep = join(gitDir, KEEP);
  try {
    rmSync(keep, { force: true });
    linkSync(join(gitDir, 'index'), keep);
  } catch {
    return null;
  }
  // After the link: linking changes the inode's ctime.
  return indexStamp(gitDir);
}

/** The index file's stamp now, or null when there is none. */
export function indexStamp(gitDir: string): string | null {
  try {
    const s = statSync(join(gitDir, 'index'), { bigint: true });
    return `${s.ino}:${s.size}:${s.ctimeNs}:${s.mtimeNs}`;
  } catch {
    return null;
  }
}
