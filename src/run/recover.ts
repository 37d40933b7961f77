import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { taskPages, type Instance, type RunClaim, type Store, type Task } from '../bus/index.js';
import { processAlive } from '../common/index.js';
import type { RunContext } from '../executor/index.js';
import { attemptDir, endPreviousAttempt, endUnfencedAttempts, LEASE_FILE } from '../executor/index.js';
import type { RunRecord } from '../records/index.js';

async function giveBack(ctx: RunContext, t: Task): Promise<boolean> {
  try {
    const saved = JSON.parse(readFileSync(join(attemptDir(ctx, t.key ?? '', t.attempt), LEASE_FILE), 'utf8')) as { taskId?: string; token?: string };
    if (saved.taskId !== t.id || typeof saved.token !== 'string') return false;
    await ctx.store.yieldTask(t.id, saved.token, 'its supervisor died');
    return true;
  } catch {
    return false; // no file, or the token is no longer the task's: the attempt counts
  }
}

/**
 * Takes the run over, in one atomic claim on the bus: two supervisors would start each task twice
 * and kill each other's agents, so of two resumes started at once exactly one wins. The store lets
 * the claim through when the old supervisor's claim lapsed or its instance is stale or gone (how a
 * supervisor on another host is found dead); on this host a dead pid settles it at once, which
 * this process vouches for with the epoch it saw, so a claim made meanwhile still wins.
 */
export async function claimSupervision(store: Store, scope: string, runId: string, supervisorId: string, leaseMs: number): Promise<RunClaim> {
  const run = await store.getRun(scope, runId);
  let takeOverEpoch: number | undefined;
  if (run?.supervisor) {
    const inst = await store.getInstance(run.supervisor);
    if (inst && inst.host === hostname() && inst.pid && !processAlive(inst.pid)) takeOverEpoch = run.epoch;
  }
  return store.claimRun(scope, runId, supervisorId, leaseMs, { takeOverEpoch });
}

/**
 * Before a resumed run starts anything: the dead supervisor's agents must be gone (their guards
 * kill them when its pipe closes; anything still alive on this host is killed here), their
 * instances deregistered so their leases return to ready, and tasks it had completed but not yet
 * merged are merged now. Only then can no task ever run twice at once.
 */
export async function recoverRun(ctx: RunContext, record: RunRecord): Promise<void> {
  const { store } = ctx;
  for (const id of record.supervisors) {
    const inst = await store.getInstance(id);
    if (inst && inst.status !== 'gone') await store.deregisterInstance(id, 'superseded by a resumed supervisor');
  }
  // Every attempt the dead supervisor left alive on this host dies now (its guard should have seen
  // to it; an agent in uninterruptible sleep, or a guard killed with it, may not have).
  for await (const page of taskPages(store, ctx.scope, { runId: ctx.runId })) {
    for (const t of page) {
      if (!t.process) continue;
      const ended = await endPreviousAttempt(ctx, t);
      if (ended === 'killed') ctx.note(`${t.key}: attempt ${t.process.attempt} was still running after its supervisor died; killed it`);
      if (ended === 'stuck') ctx.note(`${t.key}: attempt ${t.process.attempt} (process group ${t.process.pgid}) will not die; the task waits for it`);
      if (ended === 'elsewhere') ctx.note(`${t.key}: attempt ${t.process.attempt} runs on ${t.process.host}; the task waits until its executor there is gone`);
    }
  }
  const held = await store.listTasks(ctx.scope, { runId: ctx.runId, states: ['leased', 'running'], limit: 100_000 });
  const owners = new Map<string, Instance | null>();
  for (const t of held) owners.set(t.id, t.leaseOwner ? await store.getInstance(t.leaseOwner) : null);
  // An attempt its dead supervisor started but had not yet fenced has no group on the bus.
  const unfenced = held.filter((t) => !t.process && record.supervisors.includes(owners.get(t.id)?.reservedBy ?? '')).map((t) => t.id);
  for (const id of await endUnfencedAttempts(new Set(unfenced))) {
    ctx.note(`${held.find((t) => t.id === id)?.key ?? id}: an attempt its supervisor had started but not yet recorded was still running; killed it`);
  }
  for (const t of held) {
    const owner = owners.get(t.id);
    // Like Ctrl-C, a dead supervisor is not the task's failure: give the lease back on the same
    // attempt. Without the token (another home, say) the owner's leaving requeues it, counting one.
    const given = await giveBack(ctx, t);
    if (owner && owner.status !== 'gone') await store.deregisterInstance(owner.id, 'its supervisor died; the task goes back to ready');
    ctx.note(`${t.key}: attempt ${t.attempt} was cut off when the supervisor died; it will run again${given ? '' : ' as a new attempt'}`);
  }
  // Instances reserved but never adopted by the dead supervisor are simply dropped.
  for (const inst of await store.listInstances(ctx.scope)) {
    if (inst.reservedBy && record.supervisors.includes(inst.reservedBy)) await store.deregisterInstance(inst.id, 'its supervisor died');
  }
  // Tasks it left integrating are merged by the loop, which adopts integrations nobody holds (orphan-integrations.ts).
}
