import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Everything `daedalus demo` makes lives under `root`, the bus and Daedalus's home included. */
export interface DemoRepository {
  root: string;
  repo: string;
  plan: string;
  bus: string;
  home: string;
}

const examples = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));

/**
 * A scratch git repository shaped like the swarm-launcher redesign of examples/, with that plan in
 * it, ready for three script agents to make real commits in their own worktrees.
 */
export function makeDemoRepository(dir?: string): DemoRepository {
  const root = dir ?? mkdtempSync(join(tmpdir(), 'daedalus-demo-'));
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
  return { root, repo, plan: join(repo, 'plan.yaml'), bus: `sqlite:${join(root, 'bus.db')}`, home: join(root, 'home') };
}
