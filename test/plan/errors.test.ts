import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaedalusError } from '../../src/common/errors.js';
import type { PlanIssue } from '../../src/plan/index.js';
import { formatPlanIssues, planCheck } from '../../src/plan/index.js';
import { okPackage, planError, tempFiles } from './helpers.js';

const pkgs = (...blocks: string[]): string => `plan: p\npackages:\n${blocks.join('')}`;

describe('a file that is not a plan', () => {
  it('reports a YAML syntax error with its line', async () => {
    const e = await planError('plan: x\npackages:\n  - id: a\n    description: [unclosed\n');
    expect(e.message).toMatch(/^plan\.yaml:[45]: not valid YAML: /);
  });

  it('reports an empty file (or one with only comments)', async () => {
    expect((await planError('')).message).toBe('plan.yaml:1: file is empty');
    expect((await planError('# nothing yet\n')).message).toBe('plan.yaml:1: file is empty');
  });

  it('reports a top level that is not a mapping, and says how to wrap a bare list', async () => {
    const list = await planError('- id: a\n  description: b\n');
    expect(list.message).toBe('plan.yaml:1: expected a mapping with plan, defaults and packages, got a list');
    expect(list.hint).toContain('packages:');
    expect((await planError('just text\n')).message).toBe('plan.yaml:1: expected a mapping with plan, defaults and packages, got a string');
  });

  it('reports a mapping that is neither a plan nor a package', async () => {
    expect((await planError('name: x\n')).message).toBe('plan.yaml:1: neither a plan (no "packages:") nor a package (no "id:")');
  });

  it('reports a missing file', async () => {
    const e = await planCheck({ file: 'nope.yaml', cwd: await tempFiles({}) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DaedalusError);
    expect((e as DaedalusError).message).toBe('nope.yaml:1: no such file');
  });

  it('reports a plan without packages', async () => {
    expect((await planError('plan: x\npackages: []\n')).message).toBe('plan.yaml:1: packages: the plan has no packages');
    expect((await planError('plan: x\n')).message).toBe('plan.yaml:1: packages: missing');
  });

  it('names a duplicate key', async () => {
    expect((await planError(pkgs('  - id: a\n    id: b\n    description: x\n'))).message).toBe('plan.yaml:4: id: duplicate key "id" in the same mapping');
  });
});

describe('field errors name file, line and field', () => {
  it('unknown field, with the closest known name', async () => {
    const e = await planError(pkgs(okPackage('a', '    timout: 5m\n')));
    expect(e.message).toBe('plan.yaml:5: timout: unknown field "timout" in a package');
    expect(e.hint).toMatch(/^did you mean "timeout"\?/);
    expect((await planError(pkgs(okPackage('a', '    depends: [b]\n')))).hint).toMatch(/^did you mean "depends_on"\?/);
    const top = await planError('plan: x\npackage:\n  - id: a\n');
    expect(top.message).toBe('plan.yaml:2: package: unknown field "package" in a plan');
    expect(top.hint).toMatch(/^did you mean "packages"\?/);
  });

  it('missing id and missing description point at the package', async () => {
    expect((await planError(pkgs('  - description: x\n'))).message).toBe('plan.yaml:3: id: missing');
    expect((await planError(pkgs('  - id: a\n'))).message).toBe('plan.yaml:3: description: missing in package "a"');
    expect((await planError(pkgs('  - id: a\n    description: "  "\n'))).message).toBe('plan.yaml:4: description: must not be empty');
  });

  it('duplicate id names both lines', async () => {
    const e = await planError(pkgs(okPackage('a'), okPackage('b'), okPackage('a')));
    expect(e.message).toBe('plan.yaml:7: id: duplicate package id "a" (first defined at plan.yaml:3)');
    const folded = await planError(pkgs(okPackage('api'), okPackage('API')));
    expect(folded.message).toBe('plan.yaml:5: id: package id "API" differs only in case from "api" (first defined at plan.yaml:3)');
  });

  it('unknown dependency points at the entry and suggests the nearest id', async () => {
    const e = await planError(pkgs(okPackage('wave1-p1'), okPackage('wave1-p2'), okPackage('w3', '    depends_on:\n      - wave1-p1\n      - wave1-p3\n')));
    expect(e.message).toBe('plan.yaml:11: depends_on: unknown package "wave1-p3"');
    expect(e.hint).toMatch(/^did you mean "wave1-p1"\? known packages: wave1-p1, wave1-p2, w3/);
  });

  it('bad durations and sizes', async () => {
    expect((await planError(pkgs(okPackage('a', '    estimate: soon\n')))).message).toBe('plan.yaml:5: estimate: "soon" is not a duration');
    const days = await planError(pkgs(okPackage('a', '    estimate: 1d\n')));
    expect(days.message).toBe('plan.yaml:5: estimate: "1d" uses days or weeks');
    expect(days.hint).toContain('8h');
    expect((await planError('defaults:\n  timeout: forever\n' + pkgs(okPackage('a')).slice(8))).message).toBe('plan.yaml:2: defaults.timeout: "forever" is not a duration');
    expect((await planError(pkgs(okPackage('a', '    memory_limit: lots\n')))).message).toBe('plan.yaml:5: memory_limit: "lots" is not a size');
    expect((await planError(pkgs(okPackage('a', '    script: { duration: [1] }\n')))).message).toBe('plan.yaml:5: script.duration: expected a duration, got a list');
  });

  it('unknown harness lists the known ones', async () => {
    const e = await planError(pkgs(okPackage('a', '    harness: gpt\n')));
    expect(e.message).toBe('plan.yaml:5: harness: unknown harness "gpt"');
    expect(e.hint).toBe('known harnesses: claude, codex, shell, script, generic');
    const custom = await planCheck({ file: 'plan.yaml', cwd: await tempFiles({ 'plan.yaml': pkgs(okPackage('a', '    harness: aider\n')) }), harnesses: ['aider'] });
    expect(custom.packages[0]?.harness).toBe('aider');
  });

  it('bad enum values', async () => {
    const e = await planError(pkgs(okPackage('a', '    priority: urgent\n')));
    expect(e.message).toBe('plan.yaml:5: priority: "urgent" is not one of critical, high, medium, low');
    expect((await planError(pkgs(okPackage('a', '    type: implement\n')))).hint).toMatch(/^did you mean "implementation"\?/);
    expect((await planError('defaults:\n  strategy: fast\npackages:\n' + okPackage('a'))).message).toBe('plan.yaml:2: defaults.strategy: "fast" is not one of parallel, sequential, auto, adaptive');
    expect((await planError(pkgs(okPackage('a', '    script: { behaviour: explode }\n')))).message).toMatch(/^plan\.yaml:5: script\.behaviour: "explode" is not one of complete, fail, hang/);
    expect((await planError(pkgs(okPackage('a', '    mode: batch\n')))).message).toBe('plan.yaml:5: mode: "batch" is not one of headless, interactive');
  });

  it('wrong types', async () => {
    const deps = await planError(pkgs(okPackage('a'), okPackage('b', '    depends_on: a\n')));
    expect(deps.message).toBe('plan.yaml:7: depends_on: expected a list of strings, got a string');
    expect(deps.hint).toBe('write depends_on: [a]');
    expect((await planError(pkgs(okPackage('a', '    max_attempts: two\n')))).message).toBe('plan.yaml:5: max_attempts: expected a whole number ≥ 1, got a string');
    expect((await planError(pkgs(okPackage('a', '    max_attempts: 0\n')))).message).toBe('plan.yaml:5: max_attempts: 0 is less than 1');
    expect((await planError(pkgs('  - id: 12\n    description: x\n'))).message).toBe('plan.yaml:3: id: expected a string, got a number');
    expect((await planError(pkgs(okPackage('a', '    env: { A: [1] }\n')))).message).toBe('plan.yaml:5: env.A: expected a string, got a list');
    expect((await planError('plan: x\npackages: { a: 1 }\n')).message).toBe('plan.yaml:2: packages: expected a list of packages, got a mapping');
    expect((await planError('defaults:\n  integrate: yes please\npackages:\n' + okPackage('a'))).message).toBe('plan.yaml:2: defaults.integrate: expected true or false, got a string');
  });

  it('package ids that cannot name a branch, and the reserved one', async () => {
    expect((await planError(pkgs(okPackage('"-a b"')))).message).toBe('plan.yaml:3: id: "-a b" is not a valid package id');
    expect((await planError(pkgs(okPackage('a..b')))).message).toBe('plan.yaml:3: id: "a..b" cannot be a git branch name');
    expect((await planError(pkgs(okPackage('x'.repeat(65))))).message).toMatch(/^plan\.yaml:3: id: "x+…" is longer than 64 characters$/);
    const reserved = await planError(pkgs(okPackage('integration')));
    expect(reserved.message).toBe('plan.yaml:3: id: "integration" is reserved');
    expect(reserved.hint).toContain('daedalus/<run>/integration');
  });

  it('a shell package needs run', async () => {
    expect((await planError(pkgs(okPackage('a', '    harness: shell\n')))).message).toBe('plan.yaml:5: run: missing in package "a": the shell harness runs a command');
    expect((await planError('defaults: { harness: shell }\npackages:\n' + okPackage('a'))).message).toBe('plan.yaml:3: run: missing in package "a": the shell harness runs a command');
  });

  it('script writes must stay inside the worktree', async () => {
    expect((await planError(pkgs(okPackage('a', '    script:\n      writes: { "/etc/passwd": x }\n')))).message).toBe('plan.yaml:6: script.writes: "/etc/passwd" is an absolute path');
    expect((await planError(pkgs(okPackage('a', '    script:\n      writes:\n        ../out.ts: x\n')))).message).toBe('plan.yaml:7: script.writes: "../out.ts" leaves the worktree');
  });

  it('timeouts and memory limits must be positive; env names must be variable names', async () => {
    expect((await planError(pkgs(okPackage('a', '    timeout: 0\n')))).message).toBe('plan.yaml:5: timeout: must be longer than zero');
    expect((await planError(pkgs(okPackage('a', '    memory_limit: 0MB\n')))).message).toBe('plan.yaml:5: memory_limit: must be larger than zero');
    expect((await planError(pkgs(okPackage('a', '    env: { "MY-VAR": x }\n')))).message).toBe('plan.yaml:5: env.MY-VAR: "MY-VAR" is not a valid variable name');
  });

  it('resource thresholds must be ordered', async () => {
    expect((await planError('defaults:\n  resources:\n    cpu_warning: 90\npackages:\n' + okPackage('a'))).message).toBe('plan.yaml:3: defaults.resources.cpu_warning: warning level 90 is not below danger level 80');
  });
});

describe('cycles', () => {
  it('are PLAN_CYCLE errors printed as the cycle', async () => {
    const e = await planError(pkgs(okPackage('a', '    depends_on: [c]\n'), okPackage('b', '    depends_on: [a]\n'), okPackage('c', '    depends_on: [b]\n')), 'PLAN_CYCLE');
    expect(e.message).toBe('plan.yaml:5: depends_on: dependency cycle a → c → b → a');
    expect(e.details?.cycle).toEqual(['a', 'c', 'b', 'a']);
  });

  it('include a package that depends on itself', async () => {
    expect((await planError(pkgs(okPackage('a', '    depends_on: [a]\n')), 'PLAN_CYCLE')).message).toBe('plan.yaml:5: depends_on: dependency cycle a → a');
  });
});

describe('several problems', () => {
  it('are all collected: the message names the first and counts the rest', async () => {
    const e = await planError(pkgs(okPackage('a', '    priority: urgent\n'), '  - id: b\n    estimate: soon\n'));
    expect(e.message).toBe('plan.yaml:5: priority: "urgent" is not one of critical, high, medium, low (and 2 more problems)');
    const issues = e.details?.issues as PlanIssue[];
    expect(issues.map((i) => `${i.line}:${i.field}`)).toEqual(['5:priority', '6:description', '7:estimate']);
    expect(formatPlanIssues(e).split('\n')).toHaveLength(6);
  });
});

describe('directories', () => {
  it('name the file of each problem', async () => {
    const dir = await tempFiles({ 'd/a.yaml': 'id: a\ndescription: x\n', 'd/b.yaml': 'id: b\ndescription: y\ndepends_on: [zz]\n' });
    const e = (await planCheck({ file: 'd', cwd: dir }).catch((x: unknown) => x)) as DaedalusError;
    expect(e.message).toBe('d/b.yaml:3: depends_on: unknown package "zz"');
  });

  it('refuse a plan with packages in a file other than plan.yaml', async () => {
    const dir = await tempFiles({ 'd/more.yaml': 'packages:\n  - id: a\n    description: x\n' });
    const e = (await planCheck({ file: join(dir, 'd'), cwd: dir }).catch((x: unknown) => x)) as DaedalusError;
    expect(e.message).toBe('d/more.yaml:1: a file in a plan directory must hold one package (id, description, …)');
  });

  it('refuse an empty directory', async () => {
    const dir = await tempFiles({ 'd/readme.txt': 'x' });
    const e = (await planCheck({ file: 'd', cwd: dir }).catch((x: unknown) => x)) as DaedalusError;
    expect(e.message).toBe('d:1: the plan has no packages');
  });
});
