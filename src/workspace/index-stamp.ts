import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What a worktree's index file is right now: inode, size, and change and modification times in
 * nanoseconds. Git (and libgit2, and JGit) never edits an index in place: every write goes to
 * `index.lock` and is renamed over it, so anything that staged a change in between — an agent's
 * `git add`, a commit, a checkout, a merge — leaves another inode behind. Null when there is no
 * index file.
 */
export async function indexStamp(gitDir: string): Promise<string | null> {
  try {
    const s = await stat(join(gitDir, 'index'), { bigint: true });
    return `${s.ino}:${s.size}:${s.ctimeNs}:${s.mtimeNs}`;
  } catch {
    return null;
  }
}
