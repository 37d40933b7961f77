import { describe, expect, it } from 'vitest';
import { normaliseLockPath } from '../../src/bus/paths.js';
import { DaedalusError } from '../../src/common/errors.js';

const root = '/work/wt-a';
const code = (input: string) => {
  try {
    return `ok:${normaliseLockPath(root, input)}`;
  } catch (e) {
    return e instanceof DaedalusError ? e.code : String(e);
  }
};

describe('normaliseLockPath', () => {
  it('keeps a relative path relative, posix and without dot segments', () => {
    expect(normaliseLockPath(root, 'src/a.ts')).toBe('src/a.ts');
    expect(normaliseLockPath(root, './a/../b')).toBe('b');
    expect(normaliseLockPath(root, 'src//bus/./x.ts')).toBe('src/bus/x.ts');
    expect(normaliseLockPath(root, 'src/bus/')).toBe('src/bus');
    expect(normaliseLockPath(root, '  src/a.ts ')).toBe('src/a.ts');
  });

  it('makes an absolute path inside the root relative to it; the root itself is .', () => {
    expect(normaliseLockPath(root, '/work/wt-a/src/a.ts')).toBe('src/a.ts');
    expect(normaliseLockPath(`${root}/`, '/work/wt-a/src/../lib')).toBe('lib');
    expect(normaliseLockPath(root, '/work/wt-a')).toBe('.');
    expect(normaliseLockPath(root, '.')).toBe('.');
    expect(normaliseLockPath(root, 'a/..')).toBe('.');
  });

  it('refuses a path that leaves the root with PATH_ESCAPE', () => {
    expect(code('../other/a.ts')).toBe('PATH_ESCAPE');
    expect(code('..')).toBe('PATH_ESCAPE');
    expect(code('src/../../x')).toBe('PATH_ESCAPE');
    expect(code('/etc/passwd')).toBe('PATH_ESCAPE');
    expect(code('/work/wt-ab/a.ts')).toBe('PATH_ESCAPE');
    expect(code('/work')).toBe('PATH_ESCAPE');
  });

  it('keeps names that merely start with dots', () => {
    expect(normaliseLockPath(root, '..hidden/a')).toBe('..hidden/a');
    expect(normaliseLockPath(root, '.github/workflows')).toBe('.github/workflows');
  });

  it('refuses empty paths and NUL bytes with INVALID_INPUT', () => {
    expect(code('')).toBe('INVALID_INPUT');
    expect(code('   ')).toBe('INVALID_INPUT');
    expect(code('a\0b')).toBe('INVALID_INPUT');
  });
});
