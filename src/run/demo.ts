import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processOutput, type Output } from '../cli/output.js';
import { runCommand } from '../cli/commands/run.js';
import type { RunResult } from './run.js';

export interface DemoOptions {
  output?: Output;
  json?: boolean;
  maxAgents?: number;
  /** Where to make the scratch repository (default: a new temp dir). */
  dir?: string;
}

const examples = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));

/**
 * `daedalus demo`: a scratch git repository, the swarm-launcher plan from examples/, three script
 * agents that make real commits in their own worktrees, merged in dependency order and brought
 * into main. Everything it makes stays in one temp directory, bus included.
 */
export async function demo(opts: DemoOptions = {}): Promise<RunResult> {
  const out = opts.output ?? processOutput;
  const root = opts.dir ?? mkdtempSync(join(tmpdir(), 'daedalus-demo-'));
  const repo = join(root, 'repo');
  mkdirSync(join(repo, 'src', 'agents'), { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# swarm launcher\n\nA scratch project for `daedalus demo`.\n');
  writeFileSync(join(repo, '.gitignore'), '.daedalus/\n');
  writeFileSync(join(repo, 'src', 'agents', 'codeAgentSwarm.ts'), 'export const buildSwarmLabel = () => "origin:clanky";\n');
  copyFileSync(examples('swarm-launcher.yaml'), join(repo, 'plan.yaml'));
  git('add', '-A');
  git('-c', 'user.name=Daedalus demo', '-c', 'user.email=demo@localhost', 'commit', '-q', '-m', 'scratch project');
  out.out(`demo repository: ${repo}`);
  const bus = `sqlite:${join(root, 'bus.db')}`;
  const result = await runCommand({
    plan: join(repo, 'plan.yaml'),
    repo,
    bus,
    home: join(root, 'home'),
    maxAgents: opts.maxAgents ?? 3,
    finish: true,
    json: opts.json,
    output: out,
  });
  if (!opts.json) {
    out.out('');
    out.out(`repository: ${repo}`);
    out.out(`  git -C ${repo} log --oneline --graph`);
    out.out(`  cd ${repo} && npx daedalus --bus ${bus} bus tasks`);
  }
  return result;
}
