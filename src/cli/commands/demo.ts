import { processOutput, type Output } from '../../common/index.js';
import { makeDemoRepository, type RunResult } from '../../run/index.js';
import { runCommand } from './run.js';

export interface DemoOptions {
  output?: Output;
  json?: boolean;
  maxAgents?: number;
  /** Where to make the scratch repository (default: a new temp dir). */
  dir?: string;
}

/**
 * `daedalus demo`: the swarm-launcher plan run by three script agents on a scratch repository,
 * merged in dependency order and brought into main; then where it all is and how to remove it.
 */
export async function demo(opts: DemoOptions = {}): Promise<RunResult> {
  const out = opts.output ?? processOutput;
  const d = makeDemoRepository(opts.dir);
  out.out(`demo repository: ${d.repo}`);
  const result = await runCommand({ plan: d.plan, repo: d.repo, bus: d.bus, home: d.home, maxAgents: opts.maxAgents ?? 3, finish: true, json: opts.json, output: out });
  if (!opts.json) {
    out.out('');
    out.out(`repository: ${d.repo}`);
    out.out(`  git -C ${d.repo} log --oneline --graph`);
    out.out(`  cd ${d.repo} && daedalus --bus ${d.bus} bus tasks`);
    out.out(`everything the demo made (repository, bus, worktrees) is under ${d.root}; remove it with: rm -rf ${d.root}`);
  }
  return result;
}
