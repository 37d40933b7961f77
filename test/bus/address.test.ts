import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAddress, redact, resolveBusAddress } from '../../src/bus/address.js';
import { DaedalusError } from '../../src/common/errors.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof DaedalusError ? e.code : `not a DaedalusError: ${String(e)}`;
  }
  return 'no error';
};

describe('resolveBusAddress', () => {
  it('defaults to bus.db under DAEDALUS_HOME, or ~/.daedalus without it', () => {
    expect(resolveBusAddress(null, { DAEDALUS_HOME: '/srv/dd' }, '/cwd')).toEqual({ kind: 'sqlite', path: '/srv/dd/bus.db' });
    expect(resolveBusAddress(undefined, {}, '/cwd')).toEqual({ kind: 'sqlite', path: join(homedir(), '.daedalus', 'bus.db') });
    expect(resolveBusAddress('  ', {}, '/cwd').kind).toBe('sqlite');
  });

  it('resolves sqlite paths: relative against cwd, absolute as given, sqlite:/// and ~ too', () => {
    expect(resolveBusAddress('sqlite:bus.db', {}, '/work/repo')).toEqual({ kind: 'sqlite', path: '/work/repo/bus.db' });
    expect(resolveBusAddress('sqlite:./x/../y.db', {}, '/work/repo')).toEqual({ kind: 'sqlite', path: '/work/repo/y.db' });
    expect(resolveBusAddress('sqlite:/abs/bus.db', {}, '/cwd')).toEqual({ kind: 'sqlite', path: '/abs/bus.db' });
    expect(resolveBusAddress('sqlite:///abs/bus.db', {}, '/cwd')).toEqual({ kind: 'sqlite', path: '/abs/bus.db' });
    expect(resolveBusAddress('sqlite:~/b.db', {}, '/cwd')).toEqual({ kind: 'sqlite', path: join(homedir(), 'b.db') });
  });

  it('takes DAEDALUS_BUS from the environment, and an explicit address over it', () => {
    const env = { DAEDALUS_BUS: 'postgres://u@db:5432/bus', DAEDALUS_HOME: '/srv/dd' };
    expect(resolveBusAddress(null, env, '/cwd')).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/bus' });
    expect(resolveBusAddress('sqlite:here.db', env, '/cwd')).toEqual({ kind: 'sqlite', path: '/cwd/here.db' });
    expect(resolveBusAddress('postgresql://u@h/d', {}, '/cwd').kind).toBe('postgres');
  });

  it('refuses anything else with BAD_BUS_ADDRESS', () => {
    expect(code(() => resolveBusAddress('mysql://h/d', {}, '/cwd'))).toBe('BAD_BUS_ADDRESS');
    expect(code(() => resolveBusAddress('bus.db', {}, '/cwd'))).toBe('BAD_BUS_ADDRESS');
    expect(code(() => resolveBusAddress('sqlite:', {}, '/cwd'))).toBe('BAD_BUS_ADDRESS');
    expect(code(() => resolveBusAddress('postgres://u:p@[bad', {}, '/cwd'))).toBe('BAD_BUS_ADDRESS');
    expect(code(() => resolveBusAddress(null, { DAEDALUS_BUS: 'redis://x' }, '/cwd'))).toBe('BAD_BUS_ADDRESS');
  });

  it('never shows a password', () => {
    expect(redact('postgres://user:s3cret@db:5432/bus')).toBe('postgres://user:***@db:5432/bus');
    expect(redact('postgres://user:s3cret@[bad')).not.toContain('s3cret');
    expect(formatAddress({ kind: 'postgres', url: 'postgres://u:pw@h/d' })).not.toContain('pw');
    expect(formatAddress({ kind: 'sqlite', path: '/a/bus.db' })).toBe('sqlite:/a/bus.db');
    let message = '';
    try {
      resolveBusAddress('postgres://u:hunter2@[bad', {}, '/cwd');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('postgres://u:***@');
    expect(message).not.toContain('hunter2');
  });
});
