import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { constants, inflateSync } from 'node:zlib';
import { linkedGitDir } from './pin.js';
import { readSmallFile } from './small-file.js';

/**
 * Reading a ref from the file git keeps it in costs microseconds; asking git costs a process, and
 * on a loaded machine each process start waits for a core. These readers answer only what the
 * files settle beyond doubt and return null otherwise (a packed or reftable ref, a symbolic ref to
 * something odd, a file being rewritten): the caller then asks git as before.
 */
const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** Only plain branch-like names: nothing that could read a file outside the refs directory. */
const SAFE_REF = /^refs\/(?:heads|remotes)\/(?:[^./\0\\][^/\0\\]*\/)*[^./\0\\][^/\0\\]*$/;

/** The commit a loose ref file holds, or null when there is none to be sure of. */
export async function looseRef(commonDir: string, ref: string): Promise<string | null> {
  if (!SAFE_REF.test(ref) || ref.split('/').some((part) => part.endsWith('.lock') || part.includes('..'))) return null;
  const value = readSmallFile(join(commonDir, ref))?.trim() ?? '';
  return OID.test(value) ? value : null;
}

export interface HeadFile {
  commit: string;
  /** The branch HEAD is on (`refs/heads/…`), or null when it is detached. */
  symbolic: string | null;
}

/** A worktree's HEAD from its git dir's files, or null when they do not settle it. */
export async function headFromFiles(gitDir: string, commonDir: string): Promise<HeadFile | null> {
  const head = readSmallFile(join(gitDir, 'HEAD'))?.trim() ?? '';
  if (OID.test(head)) return { commit: head, symbolic: null };
  const m = /^ref: (refs\/heads\/\S+)$/.exec(head);
  if (!m) return null;
  const commit = await looseRef(commonDir, m[1]!);
  return commit ? { commit, symbolic: m[1]! } : null;
}

/** A linked worktree's git dir (from its `.git` file) and its HEAD from the files; null without a git dir. */
export async function worktreeHead(worktree: string, commonDir: string): Promise<{ gitDir: string; head: HeadFile | null } | null> {
  const gitDir = await linkedGitDir(worktree).catch(() => null);
  return gitDir ? { gitDir, head: await headFromFiles(gitDir, commonDir) } : null;
}

/**
 * True when HEAD's reflog shows it only ever moved forward by commits and merges made on top of
 * where it was (or stood still), ending at `head`: every commit it names is then an ancestor of
 * HEAD and none can have been left behind. False for anything else (a checkout, reset, rebase,
 * amend, a log that cannot be read), which the caller then asks git about.
 */
export async function headOnlyMovedForward(gitDir: string, head: string): Promise<boolean> {
  const log = readSmallFile(join(gitDir, 'logs', 'HEAD'));
  if (log === null) return false;
  let previous: string | null = null;
  for (const line of log.split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    const [from = '', to = ''] = line.slice(0, tab === -1 ? line.length : tab).split(' ');
    const message = tab === -1 ? '' : line.slice(tab + 1);
    if (!OID.test(from) || !OID.test(to)) return false;
    if (previous !== null && from !== previous) return false;
    const still = from === to;
    const forward = /^(?:commit(?: \((?:initial|merge)\))?|merge [^:]*): /.test(message);
    if (previous !== null && !still && !forward) return false;
    previous = to;
  }
  return previous === head;
}

/**
 * The size of a blob stored as a loose object (as a commit just made leaves it), from the header
 * at the start of its compressed file; null when it is packed, elsewhere (alternates) or unreadable.
 */
export async function looseBlobSize(commonDir: string, oid: string): Promise<number | null> {
  if (!OID.test(oid)) return null;
  let fd: number;
  try {
    fd = openSync(join(commonDir, 'objects', oid.slice(0, 2), oid.slice(2)), 'r');
  } catch {
    return null;
  }
  try {
    // Enough compressed bytes for any block header before the object's own "blob <size>\0".
    const buffer = Buffer.alloc(4096);
    const bytesRead = readSync(fd, buffer, 0, 4096, 0);
    const head = inflateSync(buffer.subarray(0, bytesRead), { finishFlush: constants.Z_SYNC_FLUSH });
    const m = /^blob (\d+)\0/.exec(head.toString('latin1', 0, Math.min(head.length, 40)));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
