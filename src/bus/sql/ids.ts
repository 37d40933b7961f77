import { randomBytes } from 'node:crypto';

let lastMs = 0;
let seq = 0;

/**
 * Short ids that sort by creation: a prefix, the time in base 36, a sequence within the
 * millisecond, then randomness. The bus breaks ties between tasks created in the same
 * millisecond by id, so without the sequence two prompts queued back to back could be
 * served in the wrong order. The clock is never allowed to step back within a process.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    seq = 0;
  } else if (++seq >= 36 ** 3) {
    lastMs += 1;
    seq = 0;
  }
  return `${prefix}-${lastMs.toString(36)}${seq.toString(36).padStart(3, '0')}${randomBytes(3).toString('hex')}`;
}

// Randomness is drawn in bulk: a token is minted on every claim, the bus's hottest path.
let pool = Buffer.alloc(0);
let offset = 0;

/** Fencing tokens are unguessable so a stale holder cannot forge the current one. */
export function newToken(): string {
  if (offset + 12 > pool.length) {
    pool = randomBytes(12 * 256);
    offset = 0;
  }
  offset += 12;
  return pool.subarray(offset - 12, offset).toString('base64url');
}
