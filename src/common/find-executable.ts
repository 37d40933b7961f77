import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** The executable a command name runs: itself if it names a path, else the first match on PATH. */
export function resolveExecutable(command: string, pathVar: string | undefined): string | null {
  const candidates = command.includes('/') ? [resolve(command)] : (pathVar ?? '').split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      const real = realpathSync(c);
      accessSync(real, constants.X_OK);
      if (statSync(real).isFile()) return real;
    } catch {
      // not here
    }
  }
  return null;
}
