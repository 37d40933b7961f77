import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describeError } from '../errors.js';
import { killGroup } from '../harness/index.js';
import type { RunContext } from './context.js';
import { packageOf } from './context.js';
import { integrateCompleted } from './integrate-task.js';
import type { RunRecord } from './record.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function groupOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return null;
  }
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
  const held = await store.listTasks(ctx.scope, { runId: ctx.runId, states: ['leased', 'running'], limit: 100_000 });
  for (const t of held) {
    const owner = t.leaseOwner ? await store.getInstance(t.leaseOwner) : null;
    if (owner?.pid && owner.host === hostname() && alive(owner.pid)) {
      const pgid = groupOf(owner.pid);
      if (pgid && pgid > 1 && pgid !== process.pid) killGroup(pgid, 'SIGKILL');
      for (let i = 0; i < 50 && alive(owner.pid); i++) await sleep(50);
    }
    if (owner && owner.status !== 'gone') await store.deregisterInstance(owner.id, 'its supervisor died; the task goes back to ready');
    ctx.note(`${t.key}: attempt ${t.attempt} was cut off when the supervisor died; it will run again`);
  }
  // Instances reserved but never adopted by the dead supervisor are simply dropped.
  for (const inst of await store.listInstances(ctx.scope)) {
    if (inst.reservedBy && record.supervisors.includes(inst.reservedBy)) await store.deregisterInstance(inst.id, 'its supervisor died');
  }
  for (const t of await store.listTasks(ctx.scope, { runId: ctx.runId, states: ['integrating'], limit: 100_000 })) {
    try {
      const lease = await store.adoptIntegration(t.id, ctx.supervisorId, ctx.leaseMs);
      const outcome = await integrateCompleted(ctx, t.id, lease.token, packageOf(ctx, t.key ?? ''));
      ctx.note(`${t.key}: completed before the supervisor died; integration ${outcome === 'success' ? 'done' : outcome}`);
    } catch (e) {
      ctx.note(`${t.key}: could not finish its integration: ${describeError(e)}`);
    }
  }
}
