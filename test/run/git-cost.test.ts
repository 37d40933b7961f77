import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaults, useRunWorld } from './helpers.js';

/**
 * What a run costs in git processes (issue 15, item 3): every git the run starts goes through a
 * counting `git` first on PATH, and the log says where it ran and with what arguments.
 */
describe('git processes of a run', () => {
  const w = useRunWorld();
  let log = '';
  let pathBefore: string | undefined;

  beforeEach(() => {
    const shim = join(w.dir, 'shim');
    mkdirSync(shim);
    log = join(w.dir, 'git-calls.log');
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(shim, 'git'), `#!/bin/sh\nprintf '%s\\t%s\\n' "$PWD" "$*" >> "${log}"\nexec "${real}" "$@"\n`);
    chmodSync(join(shim, 'git'), 0o755);
    pathBefore = process.env.PATH;
    process.env.PATH = `${shim}:${pathBefore ?? ''}`;
  });
  afterEach(() => {
    process.env.PATH = pathBefore;
  });

  const calls = () =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [cwd = '', args = ''] = l.split('\t');
        return { cwd, args };
      });

  it('knows the repository once, skips integration for tasks that committed nothing, and merges the rest with one merge each', async () => {
    const plan = await w.plan(`
plan: cost
defaults: ${defaults({ harness: 'shell', max_attempts: 1 })}
packages:
  - id: quiet-a
    description: changes nothing
    run: "true"
  - id: quiet-b
    description: changes nothing
    run: "true"
    depends_on: [quiet-a]
  - id: writer
    description: writes a file
    run: "echo hi > out.txt"
    depends_on: [quiet-b]
  - id: second
    description: writes another file
    run: "echo again > again.txt"
    depends_on: [writer]
`);
    const r = await w.run(plan, { runId: 'cost' });
    expect(r.report.tasks.map((t) => t.state)).toEqual(['done', 'done', 'done', 'done']);
    expect(await w.repo.git(['show', 'daedalus/cost/integration:out.txt'])).toBe('hi\n');
    const tasks = await w.tasks('cost');
    expect((tasks.get('quiet-a')!.result as { git: { merge: unknown } }).git.merge).toBeNull();
    expect((tasks.get('writer')!.result as { git: { merge: unknown } }).git.merge).toMatch(/^[0-9a-f]{40}$/);

    const all = calls();
    // The repository is worked out from the path once, not again by every workspace operation.
    expect(all.filter((c) => c.args.includes('--show-toplevel'))).toHaveLength(1);
    // Only the writers reach the integration worktree: one merge each, after one check of tracked
    // files only.
    const inIntegration = all.filter((c) => c.cwd.endsWith('/_integration'));
    expect(inIntegration.filter((c) => /^(-c \S+ )*merge /.test(c.args))).toHaveLength(2);
    // The tree is checked once; after a merge that went through, the next merge needs no status.
    expect(inIntegration.filter((c) => c.args.startsWith('status'))).toHaveLength(1);
    expect(all.filter((c) => c.args.startsWith('merge-base'))).toEqual([]);
    expect(inIntegration.filter((c) => c.args.includes('--untracked-files=all'))).toEqual([]);
    // The heads, the integration head a task starts from and the reflog are read from git's files.
    const perTask = all.filter((c) => /\/(quiet-a|quiet-b|writer|second|_integration)$/.test(c.cwd));
    expect(perTask.filter((c) => /^(rev-parse|reflog|rev-list)\b/.test(c.args))).toEqual([]);
    // Nothing wrote a task's index after provisioning (a shell task runs no git), so collect does not
    // ask status: what `add` stages is what was left.
    expect(perTask.filter((c) => !c.cwd.endsWith('/_integration') && c.args.startsWith('status'))).toEqual([]);
    // A task that committed nothing: worktree add and reset, add (its removal is done by hand).
    const quiet = all.filter((c) => c.cwd.endsWith('/quiet-b') || c.args.includes('quiet-b'));
    expect(quiet.length, quiet.map((c) => c.args).join('\n')).toBeLessThanOrEqual(3);
    // One that wrote a file: those three, the commit of its leftovers, one diff for the line counts
    // and the blobs (their sizes read from the new loose objects), and its merge.
    const writer = all.filter((c) => c.cwd.endsWith('/writer') || c.args.includes('writer'));
    expect(writer.length, writer.map((c) => c.args).join('\n')).toBeLessThanOrEqual(6);
    expect(all.filter((c) => c.args.startsWith('cat-file'))).toEqual([]);
  });
});
