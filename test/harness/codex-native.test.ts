import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { codexCommand, nativeCodex } from '../../src/harness/codex/native.js';
import { CODEX_BIN } from '../e2e/helpers.js';

const TRIPLES: Record<string, string> = { 'linux-x64': 'x86_64-unknown-linux-musl', 'linux-arm64': 'aarch64-unknown-linux-musl' };
const TRIPLE = TRIPLES[`${process.platform}-${process.arch}`]!;

describe('Codex runs as its native binary, without the npm launcher in front of it', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'daedalus-codex-native-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** An npm layout: the launcher package, its bin link, and (optionally) the platform package. */
  function install(o: { name?: string; platformBinary?: boolean }): string {
    const pkg = join(dir, 'node_modules', '@openai', 'codex');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: o.name ?? '@openai/codex' }));
    writeFileSync(join(pkg, 'bin', 'codex.js'), '#!/usr/bin/env node\n', { mode: 0o755 });
    if (o.platformBinary !== false) {
      const bin = join(dir, 'node_modules', '@openai', `codex-${process.platform}-${process.arch}`, 'vendor', TRIPLE, 'bin');
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'codex'), '#!/bin/sh\n');
      chmodSync(join(bin, 'codex'), 0o755);
    }
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync('../@openai/codex/bin/codex.js', join(dir, 'node_modules', '.bin', 'codex'));
    return join(dir, 'node_modules', '.bin');
  }

  test('the installed Codex resolves to its native binary, which runs and reports the same version', () => {
    const native = nativeCodex(CODEX_BIN);
    expect(native?.command).toMatch(new RegExp(`/vendor/${TRIPLE}/bin/codex$`));
    const version = (command: string, env: Record<string, string> = {}) => execFileSync(command, ['--version'], { encoding: 'utf8', env: { ...process.env, ...env } }).trim();
    expect(version(native!.command, native!.env)).toBe(version(CODEX_BIN));
  });

  test('found through PATH, with the variables the launcher sets, replacing any other package manager\'s', () => {
    const bin = install({});
    const cmd = codexCommand('codex', { PATH: bin, CODEX_MANAGED_BY_PNPM: '1', CODEX_HOME: '/h' });
    expect(cmd.command).toBe(join(dir, 'node_modules', '@openai', `codex-${process.platform}-${process.arch}`, 'vendor', TRIPLE, 'bin', 'codex'));
    expect(cmd.env).toEqual({ PATH: bin, CODEX_HOME: '/h', CODEX_MANAGED_BY_NPM: '1', CODEX_MANAGED_PACKAGE_ROOT: join(dir, 'node_modules', '@openai', 'codex') });
  });

  test('anything else runs as given: no platform package, another package named codex.js, a wrapper script', () => {
    expect(codexCommand('codex', { PATH: install({ platformBinary: false }) })).toEqual({ command: 'codex', env: { PATH: join(dir, 'node_modules', '.bin') } });
    rmSync(join(dir, 'node_modules'), { recursive: true });
    expect(nativeCodex('codex', install({ name: 'not-codex' }))).toBeNull();
    const script = join(dir, 'my-codex.sh');
    writeFileSync(script, '#!/bin/sh\nexec codex "$@"\n', { mode: 0o755 });
    expect(codexCommand(script, {})).toEqual({ command: script, env: {} });
    expect(nativeCodex('no-such-codex', '')).toBeNull();
  });
});
