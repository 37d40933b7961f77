import { randomBytes } from 'node:crypto';

/** Short, sortable-by-creation ids: a prefix, the time in base 36, then randomness. */
export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** Fencing tokens are unguessable so a stale holder cannot forge the current one. */
export function newToken(): string {
  return randomBytes(12).toString('base64url');
}
