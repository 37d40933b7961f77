import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { resolveExecutable } from '../../common/index.js';

/**
 * npm installs `codex` as a Node launcher (`@openai/codex/bin/codex.js`) that finds the native
 * binary in the platform's optional package and runs it. Before Node 22.15 it cannot exec into
 * it: a Node process boots in front of every Codex start (about 60–90 ms here) and then stays
 * beside it for the whole session (about 40 MB each), only to forward signals. Daedalus runs the
 * native binary itself, with the two variables the launcher would have set. Anything that does
 * not look exactly like that layout — another launcher, a wrapper script, a missing platform
 * package — is run as given.
 */

const TRIPLES: Record<string, string> = {
  'linux-x64': 'x86_64-unknown-linux-musl',
  'linux-arm64': 'aarch64-unknown-linux-musl',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
};

export interface CodexCommand {
  command: string;
  /** What the launcher adds to the environment (an empty object when the command runs as given). */
  env: Record<string, string>;
}

const MANAGED_BY = ['CODEX_MANAGED_BY_NPM', 'CODEX_MANAGED_BY_BUN', 'CODEX_MANAGED_BY_PNPM', 'CODEX_MANAGED_BY_VITE_PLUS'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function packageName(root: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: unknown }).name as string;
  } catch {
    return null;
  }
}

/** The native binary behind an npm-installed `codex`, or null when command is not that launcher. */
export function nativeCodex(command: string, pathVar: string | undefined = process.env.PATH): CodexCommand | null {
  const launcher = resolveExecutable(command, pathVar);
  if (!launcher || basename(launcher) !== 'codex.js' || basename(dirname(launcher)) !== 'bin') return null;
  const root = realpathSync(dirname(dirname(launcher)));
  const triple = TRIPLES[`${process.platform}-${process.arch}`];
  if (!triple || packageName(root) !== '@openai/codex') return null;
  const platformPackage = `codex-${process.platform}-${process.arch}`;
  const vendor = (pkg: string) => join(pkg, 'vendor', triple, 'bin', 'codex');
  // Where npm puts the optional dependency (beside it, or nested), else bundled in the package.
  const candidates = [vendor(join(dirname(root), platformPackage)), vendor(join(root, 'node_modules', '@openai', platformPackage)), vendor(root)];
  const binary = candidates.find(executable);
  return binary ? { command: binary, env: { CODEX_MANAGED_PACKAGE_ROOT: root, CODEX_MANAGED_BY_NPM: '1' } } : null;
}

/** The command and environment to start Codex with: its native binary when it can be found, else command as given. */
export function codexCommand(command: string, env: Record<string, string>): { command: string; env: Record<string, string> } {
  const native = nativeCodex(command, env.PATH ?? process.env.PATH);
  if (!native) return { command, env };
  const out = { ...env };
  for (const k of MANAGED_BY) delete out[k];
  return { command: native.command, env: { ...out, ...native.env } };
}
