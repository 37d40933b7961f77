import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built files Daedalus runs as separate processes (its own CLI for agents' MCP servers, the
 * script agent). From dist/ they sit beside this module; from src/ (tests under tsx) they are in
 * the built dist/ tree, so the build must have run.
 */
export function builtFile(relative: string): string {
  const here = new URL('.', import.meta.url);
  const inDist = fileURLToPath(new URL(`../${relative}`, here));
  if (here.pathname.includes('/dist/')) return inDist;
  const fromSrc = fileURLToPath(new URL(`../../dist/${relative}`, here));
  return existsSync(fromSrc) ? fromSrc : inDist;
}

/** argv prefix that runs the `daedalus` CLI with this Node. */
export function daedalusCommand(): string[] {
  return [process.execPath, builtFile('cli/main.js')];
}
