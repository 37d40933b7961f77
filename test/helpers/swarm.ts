import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, makeTempRepo } from './git-repo.js';

/** One "host" of a swarm on this machine: its own clone of the remote and its own $DAEDALUS_HOME. */
export interface SwarmHost {
  name: string;
  clone: string;
  home: string;
}

/** Several hosts sharing one bare git remote (and, given by the caller, one bus and one scope). */
export interface Swarm {
  dir: string;
  /** The bare repository every host clones and pushes to, as `origin`. */
  remote: string;
  hosts: SwarmHost[];
  scope: string;
  /** The remote's copy of a branch, or null. */
  remoteHead(branch: string): Promise<string | null>;
  /** Subjects of the remote integration branch's first-parent history, oldest first. */
  remoteLog(runId: string): Promise<string[]>;
  /** A file as the remote's branch has it. */
  remoteShow(branch: string, path: string): Promise<string>;
  cleanup(): Promise<void>;
}

/**
 * Builds the multi-machine setup of docs/multi-machine.md on one machine: a bare remote seeded
 * with one commit on main, one clone per host, one home per host holding the same run key (copied,
 * as the docs tell people to), and a scope every host names.
 */
export async function makeSwarm(hostNames: string[] = ['host-a', 'host-b']): Promise<Swarm> {
  const dir = await mkdtemp(join(tmpdir(), 'daedalus-swarm-'));
  const seed = await makeTempRepo({ files: { 'README.md': '# swarm\n', '.gitignore': '.daedalus/\n' } });
  const remote = join(dir, 'remote.git');
  await git(dir, ['init', '--quiet', '--bare', '-b', 'main', remote]);
  await git(seed.root, ['push', '--quiet', remote, 'main:main']);
  await seed.cleanup();
  const key = `${randomBytes(32).toString('hex')}\n`;
  const hosts: SwarmHost[] = [];
  for (const name of hostNames) {
    const clone = join(dir, name, 'clone');
    const home = join(dir, name, 'home');
    await mkdir(home, { recursive: true });
    await git(dir, ['clone', '--quiet', remote, clone]);
    await writeFile(join(home, 'run-key'), key, { mode: 0o600 });
    hosts.push({ name, clone, home });
  }
  const remoteHead = async (branch: string) => {
    try {
      return (await git(remote, ['rev-parse', '--verify', '-q', `refs/heads/${branch}`])).trim();
    } catch {
      return null;
    }
  };
  return {
    dir,
    remote,
    hosts,
    scope: `swarm-${randomBytes(4).toString('hex')}`,
    remoteHead,
    remoteLog: async (runId) =>
      (await git(remote, ['log', '--first-parent', '--reverse', '--format=%s', `daedalus/${runId}/integration`])).trim().split('\n'),
    remoteShow: (branch, path) => git(remote, ['show', `${branch}:${path}`]),
    cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 5 }),
  };
}
