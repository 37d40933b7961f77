import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built files Daedalus runs as separate processes (its MCP server for agents, the script
 * agent). From dist/ they sit beside this module; from src/ (tests under tsx) they are in the
 * built dist/ tree, so the build must have run.
 */
export function builtFile(relative: string): string {
  const here = new URL('.', import.meta.url);
  const inDist = fileURLToPath(new URL(`../${relative}`, here));
  if (here.pathname.includes('/dist/')) return inDist;
  const fromSrc = fileURLToPath(new URL(`../../dist/${relative}`, here));
  return existsSync(fromSrc) ? fromSrc : inDist;
}

/**
 * argv prefix that runs `daedalus` for an agent's MCP server (`… mcp` is appended): the bundled
 * entry dist/mcp.js, which takes the CLI's `[--bus ADDRESS] mcp` and answers an agent's
 * handshake in a fraction of the full CLI's start. A build without it falls back to the CLI.
 */
export function daedalusCommand(): string[] {
  const bundled = builtFile('mcp.js');
  return [process.execPath, existsSync(bundled) ? bundled : builtFile('cli/main.js')];
}

/** argv prefix that runs the full `daedalus` CLI (any command, not only `mcp`). */
export function daedalusCliCommand(): string[] {
  return [process.execPath, builtFile('cli/main.js')];
}
