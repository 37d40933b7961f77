import { randomBytes } from 'node:crypto';

/** Short, sortable-by-creation ids: a prefix, the time in base 36, then randomness. */
export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
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
