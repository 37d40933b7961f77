import { DaedalusError } from '../../common/index.js';
import type { RunClaim, RunEntry, RunInput, RunPatch, RunStanding, RunStatus } from '../types.js';
import type { Param, Row, SqlTx } from './driver.js';
import type { WriteCtx } from './context.js';
import { newToken } from './ids.js';
import { getInstance } from './instances.js';
import { parseJson, toJson } from './rows.js';

/**
 * Runs and who supervises them. The supervisor's token is never read back to a caller: it is
 * handed out once, by the claim, and only compared after that.
 */

const STANDING = 'id, scope, digest, repo, max_agents, status, started_at, finished_at, supervisor, supervisor_until, epoch, supervisors, updated_at';
const COLUMNS = `plan, policies, ${STANDING}`;

function rowToRun(r: Row): RunEntry {
  return { ...rowToStanding(r), plan: parseJson(r.plan), policies: parseJson(r.policies) };
}

function rowToStanding(r: Row): RunStanding {
  return {
    id: String(r.id),
    scope: String(r.scope),
    digest: String(r.digest),
    repo: String(r.repo),
    maxAgents: Number(r.max_agents),
    status: String(r.status) as RunStatus,
    startedAt: Number(r.started_at),
    finishedAt: r.finished_at === null || r.finished_at === undefined ? null : Number(r.finished_at),
    supervisor: r.supervisor === null || r.supervisor === undefined ? null : String(r.supervisor),
    supervisorUntil: r.supervisor_until === null || r.supervisor_until === undefined ? null : Number(r.supervisor_until),
    epoch: Number(r.epoch),
    supervisors: parseJson(r.supervisors) as string[],
    updatedAt: Number(r.updated_at),
  };
}

export async function getRun(tx: SqlTx, scope: string, runId: string): Promise<RunEntry | null> {
  const r = await tx.get(`SELECT ${COLUMNS} FROM runs WHERE scope = ? AND id = ?`, [scope, runId]);
  return r ? rowToRun(r) : null;
}

export async function getRunStanding(tx: SqlTx, scope: string, runId: string): Promise<RunStanding | null> {
  const r = await tx.get(`SELECT ${STANDING} FROM runs WHERE scope = ? AND id = ?`, [scope, runId]);
  return r ? rowToStanding(r) : null;
}

export async function listRuns(tx: SqlTx, scope: string, limit: number): Promise<RunEntry[]> {
  const rows = await tx.all(`SELECT ${COLUMNS} FROM runs WHERE scope = ? ORDER BY started_at, id LIMIT ${limit}`, [scope]);
  return rows.map(rowToRun);
}

const noRun = (scope: string, runId: string) =>
  new DaedalusError('NOT_FOUND', `no run ${runId} on this bus for ${scope}`, 'list runs with `daedalus runs`, and check --bus and the directory you run from');

export async function createRun(c: WriteCtx, input: RunInput): Promise<{ run: RunEntry; token: string | null }> {
  const sup = input.supervisor ?? null;
  const token = sup ? newToken() : null;
  const row = await c.tx.get(
    `INSERT INTO runs (id, scope, plan, policies, digest, repo, max_agents, status, started_at, finished_at,
       supervisor, supervisor_token, supervisor_until, epoch, supervisors, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (scope, id) DO NOTHING RETURNING ${COLUMNS}`,
    [
      input.id,
      input.scope,
      toJson(input.plan),
      toJson(input.policies),
      input.digest,
      input.repo,
      input.maxAgents,
      input.status ?? 'running',
      input.startedAt ?? c.now,
      sup?.id ?? null,
      token,
      sup ? c.now + sup.leaseMs : null,
      sup ? 1 : 0,
      JSON.stringify(sup ? [sup.id] : []),
      c.now,
    ],
  );
  if (!row) {
    throw new DaedalusError('INVALID_STATE', `run ${input.id} already exists in ${input.scope}`, `resume it with \`daedalus run --resume ${input.id}\`, or choose another --run-id`);
  }
  const run = rowToRun(row);
  if (sup) c.emit(run.scope, 'run.claimed', { supervisor: sup.id, epoch: run.epoch }, { runId: run.id, instanceId: sup.id });
  return { run, token };
}

export async function claimRun(c: WriteCtx, scope: string, runId: string, supervisor: string, leaseMs: number, takeOverEpoch: number | undefined): Promise<RunClaim> {
  // Locked for the rest of the transaction, so of two claimants the second sees the first's claim.
  const row = await c.tx.get(`SELECT ${COLUMNS} FROM runs WHERE scope = ? AND id = ?${c.d.forUpdate}`, [scope, runId]);
  if (!row) throw noRun(scope, runId);
  const run = rowToRun(row);
  if (run.supervisor !== null && run.supervisor !== supervisor) {
    const holder = await getInstance(c.tx, run.supervisor);
    const lapsed = run.supervisorUntil !== null && run.supervisorUntil <= c.now;
    const left = !holder || holder.status === 'gone' || holder.status === 'stale';
    const vouched = takeOverEpoch !== undefined && takeOverEpoch === run.epoch;
    if (!lapsed && !left && !vouched) {
      throw new DaedalusError(
        'INVALID_STATE',
        `run ${runId} is still supervised (pid ${holder?.pid ?? '?'} on ${holder?.host ?? '?'})`,
        'stop that supervisor first (Ctrl-C); a supervisor on another host that died is taken as gone once its heartbeat is stale',
        { instanceId: run.supervisor, pid: holder?.pid ?? null, host: holder?.host ?? null, epoch: run.epoch },
      );
    }
  }
  const token = newToken();
  const supervisors = run.supervisors.at(-1) === supervisor ? run.supervisors : [...run.supervisors, supervisor];
  const updated = await c.tx.get(
    `UPDATE runs SET supervisor = ?, supervisor_token = ?, supervisor_until = ?, epoch = epoch + 1, supervisors = ?, updated_at = ?
     WHERE scope = ? AND id = ? RETURNING ${COLUMNS}`,
    [supervisor, token, c.now + leaseMs, JSON.stringify(supervisors), c.now, scope, runId],
  );
  const claimed = rowToRun(updated!);
  c.emit(scope, 'run.claimed', { supervisor, epoch: claimed.epoch }, { runId, instanceId: supervisor });
  return { run: claimed, token };
}

/** Why a token was refused: the run is gone, or someone else holds it now. */
async function refusal(tx: SqlTx, scope: string, runId: string): Promise<DaedalusError> {
  const run = await getRun(tx, scope, runId);
  if (!run) return noRun(scope, runId);
  const now = run.supervisor ? `is supervised by ${run.supervisor} (claim ${run.epoch})` : 'has no supervisor';
  return new DaedalusError('LEASE_LOST', `run ${runId} ${now}: this supervisor's claim was superseded`, 'stop supervising it; resume it again with `daedalus run --resume` if it needs one');
}

export async function renewRun(c: WriteCtx, scope: string, runId: string, token: string, leaseMs: number): Promise<RunStanding> {
  const row = await c.tx.get(
    `UPDATE runs SET supervisor_until = ?, updated_at = ? WHERE scope = ? AND id = ? AND supervisor_token = ? RETURNING ${STANDING}`,
    [c.now + leaseMs, c.now, scope, runId, token],
  );
  if (!row) throw await refusal(c.tx, scope, runId);
  return rowToStanding(row);
}

export async function updateRun(c: WriteCtx, scope: string, runId: string, token: string, patch: RunPatch): Promise<RunStanding> {
  const sets = ['updated_at = ?'];
  const params: Param[] = [c.now];
  if (patch.status !== undefined) {
    sets.push('status = ?');
    params.push(patch.status);
  }
  if (patch.maxAgents !== undefined) {
    sets.push('max_agents = ?');
    params.push(patch.maxAgents);
  }
  if (patch.finishedAt !== undefined) {
    sets.push('finished_at = ?');
    params.push(patch.finishedAt);
  }
  const row = await c.tx.get(`UPDATE runs SET ${sets.join(', ')} WHERE scope = ? AND id = ? AND supervisor_token = ? RETURNING ${STANDING}`, [...params, scope, runId, token]);
  if (!row) throw await refusal(c.tx, scope, runId);
  return rowToStanding(row);
}

export async function releaseRun(c: WriteCtx, scope: string, runId: string, token: string): Promise<boolean> {
  const n = await c.tx.run(
    'UPDATE runs SET supervisor = NULL, supervisor_token = NULL, supervisor_until = NULL, updated_at = ? WHERE scope = ? AND id = ? AND supervisor_token = ?',
    [c.now, scope, runId, token],
  );
  return n > 0;
}

/**
 * A run that grows (a planner's: each spawn adds packages) gets its new plan, policies and digest
 * in one step, only over the record its caller read (`expectedDigest`): of two extensions at once,
 * the second is told to read again (VERSION_CONFLICT) instead of dropping the first's packages.
 */
export async function extendRun(
  c: WriteCtx,
  scope: string,
  runId: string,
  next: { plan: RunEntry['plan']; policies: RunEntry['policies']; digest: string; expectedDigest: string },
): Promise<RunEntry> {
  const row = await c.tx.get(
    `UPDATE runs SET plan = ?, policies = ?, digest = ?, status = 'running', finished_at = NULL, updated_at = ?
     WHERE scope = ? AND id = ? AND digest = ? RETURNING ${COLUMNS}`,
    [toJson(next.plan), toJson(next.policies), next.digest, c.now, scope, runId, next.expectedDigest],
  );
  if (!row) {
    if (!(await getRun(c.tx, scope, runId))) throw noRun(scope, runId);
    throw new DaedalusError('VERSION_CONFLICT', `run ${runId} changed while it was being extended`, 'read it again and retry');
  }
  const run = rowToRun(row);
  const packages = (run.plan as { packages?: unknown } | null)?.packages;
  c.emit(scope, 'run.extended', { packages: Array.isArray(packages) ? packages.length : 0 }, { runId });
  return run;
}
