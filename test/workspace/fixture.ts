import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { TempRepo, TempRepoOptions } from '../helpers/git-repo.js';
import { isolateGitConfig, makeTempRepo, useTempHome } from '../helpers/git-repo.js';
import type { IntegrationInfo, TaskWorkspace } from '../../src/workspace/index.js';
import { collectTask, createIntegration, integrateTask, provisionTask } from '../../src/workspace/index.js';

export interface Fixture {
  repo: TempRepo;
  home: string;
  run: string;
  integration: IntegrationInfo;
}

/**
 * Per test: a fresh repository, a fresh $DAEDALUS_HOME (with a space in its path) and a run with
 * its integration branch. Git runs without the machine's config throughout the file.
 */
export function useFixture(options: TempRepoOptions = {}): () => Fixture {
  let current: Fixture | undefined;
  let restoreHome: (() => Promise<void>) | undefined;
  let restoreGit: (() => void) | undefined;
  beforeAll(() => {
    restoreGit = isolateGitConfig();
  });
  afterAll(() => restoreGit?.());
  beforeEach(async () => {
    const h = await useTempHome();
    restoreHome = h.restore;
    const repo = await makeTempRepo(options);
    const integration = await createIntegration({ repo: repo.root, run: 'r1' });
    current = { repo, home: h.home, run: 'r1', integration };
  });
  afterEach(async () => {
    await current?.repo.cleanup();
    await restoreHome?.();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('fixture used outside a test');
    return current;
  };
}

/** Provisions a task, lets "the agent" write files and commit them, and collects. */
export async function doTask(
  f: Fixture,
  task: string,
  files: Record<string, string>,
  opts: { commit?: boolean } = {},
): Promise<TaskWorkspace> {
  const ws = await provisionTask({ repo: f.repo.root, run: f.run, task });
  for (const [rel, content] of Object.entries(files)) await f.repo.write(rel, content, ws.path);
  if (opts.commit ?? true) await f.repo.commit(`agent work on ${task}`, ws.path);
  await collectTask({ repo: f.repo.root, run: f.run, task });
  return ws;
}

export async function integrate(f: Fixture, task: string) {
  return integrateTask({ repo: f.repo.root, run: f.run, task });
}
