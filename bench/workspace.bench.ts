/**
 * Workspace benchmark: what provisioning costs over plain `git worktree add` on a 5,000-file
 * repository, and how fast the integration branch absorbs 50 non-conflicting task branches.
 * Prints a table, then one JSON line with the figures.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { GitRunner } from '../src/workspace/index.js';
import { createGitRunner, createIntegration, integrateTask, provisionTask } from '../src/workspace/index.js';

const FILES = 5_000;
const REPETITIONS = 9;
const BRANCHES = 50;

// Neither side may pick up the machine's git config (hooks, signing, fsmonitor).
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';
const IDENTITY = { GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.test', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.test' };

const runner: GitRunner = createGitRunner();
async function git(cwd: string, args: string[], extra: { env?: Record<string, string>; input?: string } = {}): Promise<string> {
  const r = await runner.run(args, { cwd, env: { ...IDENTITY, ...extra.env }, ...(extra.input !== undefined ? { input: extra.input } : {}) });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function makeRepo(root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  await git(root, ['init', '--quiet', '-b', 'main']);
  for (let d = 0; d < FILES / 100; d++) {
    const dir = join(root, 'src', `mod${String(d).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => writeFile(join(dir, `file${i}.ts`), `export const v${d}_${i} = ${d * 100 + i};\n`.repeat(8))),
    );
  }
  await git(root, ['add', '-A']);
  await git(root, ['commit', '--quiet', '-m', 'initial']);
}

/** A branch that adds one file on top of `base`, made with plumbing so no checkout is needed. */
async function makeTaskBranch(root: string, scratch: string, base: string, branch: string, file: string): Promise<void> {
  const env = { GIT_INDEX_FILE: join(scratch, `index-${branch.replace(/\//g, '_')}`) };
  await git(root, ['read-tree', base], { env });
  const blob = await git(root, ['hash-object', '-w', '--stdin'], { input: `content of ${file}\n` });
  await git(root, ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], { env });
  const tree = await git(root, ['write-tree'], { env });
  const commit = await git(root, ['commit-tree', tree, '-p', base, '-m', `work on ${file}`]);
  await git(root, ['update-ref', `refs/heads/${branch}`, commit]);
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'daedalus-bench-ws-'));
  const home = join(tmp, 'home');
  process.env.DAEDALUS_HOME = home;
  try {
    const root = join(tmp, 'repo');
    let t0 = performance.now();
    await makeRepo(root);
    const setupMs = performance.now() - t0;

    const run = 'bench';
    await createIntegration({ repo: root, run });
    const plainDir = join(tmp, 'plain');

    const ours: number[] = [];
    const plain: number[] = [];
    const measureOurs = async (i: number) => {
      const start = performance.now();
      const ws = await provisionTask({ repo: root, run, task: `p${i}`, include: [] });
      ours.push(performance.now() - start);
      await git(root, ['worktree', 'remove', '--force', ws.path]);
    };
    const measurePlain = async (i: number) => {
      const path = join(plainDir, `p${i}`);
      const start = performance.now();
      await git(root, ['worktree', 'add', '--quiet', '-b', `plain/p${i}`, path, 'HEAD']);
      plain.push(performance.now() - start);
      await git(root, ['worktree', 'remove', '--force', path]);
    };
    // One of each to warm the page cache and git's object store, not counted.
    await measureOurs(-1);
    await measurePlain(-1);
    ours.length = 0;
    plain.length = 0;
    for (let i = 0; i < REPETITIONS; i++) {
      // Alternate who goes first so neither always runs on a warmer cache.
      if (i % 2 === 0) {
        await measureOurs(i);
        await measurePlain(i);
      } else {
        await measurePlain(i);
        await measureOurs(i);
      }
    }
    const oursMedian = median(ours);
    const plainMedian = median(plain);
    const provisionRatio = oursMedian / plainMedian;
    // Each pair ran back to back, so its ratio cancels drift in the machine's load between pairs.
    const pairedRatio = median(ours.map((o, i) => o / (plain[i] ?? o)));

    const base = await git(root, ['rev-parse', `daedalus/${run}/integration`]);
    const scratch = join(tmp, 'scratch');
    await mkdir(scratch);
    for (let i = 0; i < BRANCHES; i++) {
      await makeTaskBranch(root, scratch, base, `daedalus/${run}/t${i}`, `tasks/t${i}.txt`);
    }
    const perMerge: number[] = [];
    t0 = performance.now();
    for (let i = 0; i < BRANCHES; i++) {
      const start = performance.now();
      const r = await integrateTask({ repo: root, run, task: `t${i}` });
      if (r.status !== 'merged') throw new Error(`t${i} did not merge: ${r.status}`);
      perMerge.push(performance.now() - start);
    }
    const integrateTotal = performance.now() - t0;
    const afterFirst = (integrateTotal - (perMerge[0] ?? 0)) / (BRANCHES - 1);
    const merges = Number(await git(root, ['rev-list', '--merges', '--count', `daedalus/${run}/integration`]));
    if (merges !== BRANCHES) throw new Error(`expected ${BRANCHES} merges, found ${merges}`);

    const rows: [string, string][] = [
      ['repository', `${FILES} files (made in ${ms(setupMs)})`],
      [`provisionTask, median of ${REPETITIONS}`, ms(oursMedian)],
      [`git worktree add, median of ${REPETITIONS}`, ms(plainMedian)],
      ['overhead ratio of medians (goal <= 1.2)', provisionRatio.toFixed(3)],
      ['overhead ratio, median of pairs', pairedRatio.toFixed(3)],
      [`integrate ${BRANCHES} branches, total`, ms(integrateTotal)],
      ['  first merge (makes the integration worktree)', ms(perMerge[0] ?? 0)],
      ['  per merge, mean', ms(integrateTotal / BRANCHES)],
      ['  per merge after the first, mean', ms(afterFirst)],
      ['  per merge, median', ms(median(perMerge))],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log('workspace benchmark');
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    console.log(
      JSON.stringify({
        bench: 'workspace',
        files: FILES,
        repetitions: REPETITIONS,
        provisionMedianMs: round(oursMedian),
        worktreeAddMedianMs: round(plainMedian),
        provisionRatio: round(provisionRatio, 3),
        provisionPairedRatio: round(pairedRatio, 3),
        provisionSamplesMs: ours.map((x) => round(x)),
        worktreeAddSamplesMs: plain.map((x) => round(x)),
        integrateBranches: BRANCHES,
        integrateTotalMs: round(integrateTotal),
        integrateFirstMs: round(perMerge[0] ?? 0),
        integratePerMergeMeanMs: round(integrateTotal / BRANCHES),
        integratePerMergeMedianMs: round(median(perMerge)),
        integratePerMergeAfterFirstMs: round(afterFirst),
      }),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

await main();
