import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/bus/index.js';
import { integratePushed, type RunContext } from '../../src/executor/index.js';
import { loadPlan } from '../../src/plan/index.js';
import { collectTask, createIntegration, fetchIntegration, provisionTask, pushIntegration, pushTaskBranch } from '../../src/workspace/index.js';
import { isolateGitConfig } from '../helpers/git-repo.js';
import { makeSwarm, type Swarm } from '../helpers/swarm.js';

const RUN = 'shared';

describe("the run's owner merging what other hosts pushed", () => {
  let restoreGit: () => void;
  let swarm: Swarm;
  let store: Store;
  let dir: string;
  beforeEach(async () => {
    restoreGit = isolateGitConfig();
    swarm = await makeSwarm();
    dir = await mkdtemp(join(tmpdir(), 'daedalus-pushed-'));
    store = await openStore(`sqlite:${join(dir, 'bus.db')}`);
  });
  afterEach(async () => {
    await store.close();
    await swarm.cleanup();
    await rm(dir, { recursive: true, force: true });
    restoreGit();
  });

  /** On the helper host: the task's worktree from the remote's integration branch, one file, pushed. */
  async function pushFromHelper(task: string): Promise<{ head: string; base: string; branch: string }> {
    const b = swarm.hosts[1]!;
    const where = { repo: b.clone, home: b.home, run: RUN };
    await fetchIntegration({ ...where, remote: 'origin' });
    const ws = await provisionTask({ ...where, task });
    writeFileSync(join(ws.path, `${task}.txt`), `${task}\n`);
    const collected = await collectTask({ ...where, task, message: `${task}: its work` });
    const pushed = await pushTaskBranch({ ...where, remote: 'origin', task });
    return { head: pushed.head, base: collected.baseCommit, branch: pushed.branch };
  }

  it('a task pushed while the owner merges another is merged, not failed as abandoned once its agent has left', async () => {
    const a = swarm.hosts[0]!;
    await createIntegration({ repo: a.clone, home: a.home, run: RUN, base: 'main' });
    await pushIntegration({ repo: a.clone, home: a.home, run: RUN, remote: 'origin' });
    const planFile = join(dir, 'plan.yaml');
    writeFileSync(planFile, `plan: ${RUN}\ndefaults: { harness: shell }\npackages:\n  - { id: one, description: first, run: 'true' }\n  - { id: two, description: second, run: 'true' }\n`);
    const plan = await loadPlan({ file: planFile, cwd: dir });

    // Both tasks ran on the helper host: each is integrating under a lease of that host's agent.
    const owner = await store.registerInstance({ scope: swarm.scope, role: 'supervisor' });
    const agents: Record<string, string> = {};
    const ids: Record<string, string> = {};
    for (const key of ['one', 'two']) {
      const t = await store.createTask(swarm.scope, { id: `${RUN}:${key}`, key, title: key, runId: RUN, integrate: true });
      const agent = await store.registerInstance({ scope: swarm.scope, role: 'worker' });
      const lease = await store.claim(t.id, agent.id, 60_000);
      await store.startTask(t.id, lease.token, 60_000);
      await store.completeTask(t.id, lease.token, { ok: true });
      agents[key] = agent.id;
      ids[key] = t.id;
    }
    const pushed = async (key: string) => {
      const p = await pushFromHelper(key);
      await store.recordEvent(swarm.scope, 'task.pushed', { host: 'helper', remote: 'origin', branch: p.branch, head: p.head, base: p.base, attempt: 1 }, { taskId: ids[key]!, runId: RUN });
      // As on the helper host: the push is recorded, then its agent leaves.
      await store.deregisterInstance(agents[key]!, 'attempt 1 ended: success');
    };
    await pushed('one');

    const notes: string[] = [];
    const ctx = {
      store,
      busAddress: `sqlite:${join(dir, 'bus.db')}`,
      scope: swarm.scope,
      repo: a.clone,
      runId: RUN,
      plan,
      supervisorId: owner.id,
      home: a.home,
      leaseMs: 60_000,
      note: (l: string) => notes.push(l),
      keepWorktrees: false,
      remote: { name: 'origin', owner: true },
    } as Partial<RunContext> as RunContext;
    const merged: string[] = [];
    const acted = await integratePushed(ctx, async (_ctx, taskId, token, pkg) => {
      // While the owner merges "one", the helper pushes "two" and its agent leaves.
      if (pkg.id === 'one') await pushed('two');
      merged.push(pkg.id);
      await store.markIntegrated(taskId, token);
      return 'success';
    });

    expect(merged, notes.join('\n')).toEqual(['one', 'two']);
    expect(acted).toBe(2);
    const two = await store.getTask(ids.two!);
    expect(two).toMatchObject({ state: 'done', attempt: 1 });
    expect(notes.join('\n')).not.toMatch(/runs again/);
  });
});
