import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { daedalusHome } from '../common/index.js';
import { DaedalusError } from '../common/index.js';

export type BusAddress = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** `--bus` wins over DAEDALUS_BUS, which wins over `sqlite:$DAEDALUS_HOME/bus.db`. */
export function resolveBusAddress(explicit?: string | null, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): BusAddress {
  const raw = (explicit ?? env.DAEDALUS_BUS ?? '').trim();
  if (raw === '') return { kind: 'sqlite', path: join(daedalusHome(env), 'bus.db') };
  if (/^postgres(ql)?:\/\//i.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new DaedalusError('BAD_BUS_ADDRESS', `bus address "${redact(raw)}" is not a valid URL`, 'use postgres://USER@HOST:PORT/DB');
    }
    return { kind: 'postgres', url: raw };
  }
  if (raw.startsWith('sqlite:')) {
    let path = raw.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/path
    if (path === '') throw new DaedalusError('BAD_BUS_ADDRESS', 'bus address "sqlite:" has no path', 'use sqlite:PATH, e.g. sqlite:./bus.db');
    if (path === '~' || path.startsWith('~/')) path = join(homedir(), path.slice(1));
    return { kind: 'sqlite', path: resolve(cwd, path) };
  }
  throw new DaedalusError(
    'BAD_BUS_ADDRESS',
    `bus address "${redact(raw)}" is neither sqlite:PATH nor a postgres:// URL`,
    'set --bus or DAEDALUS_BUS to sqlite:PATH or postgres://USER@HOST:PORT/DB',
  );
}

/** A URL fit for logs and error messages: the password is never shown. */
export function redact(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return raw.replace(/:\/\/([^:/@]+):[^@]*@/, '://$1:***@');
  }
}

export function formatAddress(a: BusAddress): string {
  return a.kind === 'sqlite' ? `sqlite:${a.path}` : redact(a.url);
}
