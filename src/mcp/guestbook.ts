import { appendFileSync, existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Json, Store } from '../bus/index.js';
import { DaedalusError } from '../common/index.js';

/**
 * ICARUS_GUESTBOOK.md: where workers leave their mark. It is kept in the main checkout (the scope
 * root), not in the worker's worktree: parallel workers appending to one file on their branches
 * would make every integration of theirs a merge conflict, and the file would count against the
 * scope of tasks that never meant to touch it. Signing is serialised by a bus lock on the path, and
 * every entry is also appended to the bus (kv `daedalus:guestbook`), so nothing is lost when the
 * checkout is on another machine. The person commits the guestbook when they like.
 */

export const GUESTBOOK_FILE = 'ICARUS_GUESTBOOK.md';
export const GUESTBOOK_KEY = 'daedalus:guestbook';

const HEADER = `# Icarus guestbook

Workers of Daedalus sign here: insights, realizations, things that felt important while they worked.

`;

export interface Signer {
  scope: string;
  instanceId: string;
  label?: string;
  taskId: string | null;
  runId: string | null;
}

export interface SignResult {
  /** The file signed, or null when the scope root is not a directory on this machine. */
  file: string | null;
  at: string;
  entry: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function entryText(s: Signer, text: string, at: string): string {
  const where = [s.taskId ? `task ${s.taskId}` : null, s.runId ? `run ${s.runId}` : null].filter(Boolean).join(', ');
  return `## ${at} — ${s.instanceId}${where ? ` (${where})` : ''}\n\n${text.trim()}\n\n`;
}

/** Appends one signed entry; waits up to waitMs for another signer to finish. */
export async function signGuestbook(store: Store, signer: Signer, text: string, opts: { root?: string; waitMs?: number } = {}): Promise<SignResult> {
  const root = opts.root ?? signer.scope;
  const usable = isAbsolute(root) && existsSync(root) && statSync(root).isDirectory();
  const at = new Date().toISOString();
  const entry = entryText(signer, text, at);
  await store.kvAppend(signer.scope, GUESTBOOK_KEY, { at, instance: signer.instanceId, task: signer.taskId, run: signer.runId, text: text.trim() } as Json, { by: signer.instanceId });
  if (!usable) return { file: null, at, entry };

  const deadline = Date.now() + (opts.waitMs ?? 15_000);
  for (;;) {
    const r = await store.lock({ scope: signer.scope, path: GUESTBOOK_FILE, owner: signer.instanceId, taskId: null, reason: 'signing the guestbook', ttlMs: 10_000 });
    if (r.ok) break;
    if (Date.now() > deadline) {
      throw new DaedalusError('LOCK_HELD', `${GUESTBOOK_FILE} is being signed by ${r.holder.owner}`, 'your entry is kept on the bus; try sign_guestbook again later to put it in the file');
    }
    await sleep(50);
  }
  try {
    const file = join(root, GUESTBOOK_FILE);
    appendFileSync(file, existsSync(file) ? entry : HEADER + entry);
    return { file, at, entry };
  } finally {
    await store.unlock(signer.scope, GUESTBOOK_FILE, signer.instanceId);
  }
}
