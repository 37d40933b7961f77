import { readFileSync } from 'node:fs';

/**
 * The text of a small local file (a ref, `HEAD`, a `.git` link, a registry entry), or null when it
 * cannot be read. Synchronous on purpose: an asynchronous readFile is four trips through the
 * thread pool (open, stat, read, close), about 150 µs of the supervisor's CPU against 10, and a
 * task's workspace steps read dozens of these.
 */
export function readSmallFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
