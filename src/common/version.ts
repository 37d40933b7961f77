import { readFileSync } from 'node:fs';

/** Set by the build in the bundled entry (dist/mcp.js), whose place in the tree is not src/'s. */
declare const __DAEDALUS_VERSION__: string | undefined;

/** This package's version; the same relative path works from src/ and from dist/. */
export function packageVersion(): string {
  if (typeof __DAEDALUS_VERSION__ === 'string') return __DAEDALUS_VERSION__;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
