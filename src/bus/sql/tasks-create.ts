import { DaedalusError } from '../../common/index.js';
import { PRIORITIES, type Task, type TaskInput } from '../types.js';
import type { WriteCtx } from './context.js';
import { newId } from './ids.js';
import { toJson } from './rows.js';
import { withDeps } from './tasks-read.js';
import { rowToTask } from './rows.js';

const PRIO_CLASS: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

function resolveRef(ref: string, index: number, ids: string[]): string {
  const m = /^\$(\d+)$/.exec(ref);
  if (!m) return ref;
  const n = Number(m[1]);
  if (n < 1 || n > ids.length) {
    throw new DaedalusError(
      'UNKNOWN_DEPENDENCY',
      `task ${index + 1} of the batch depends on ${ref}, but the batch has ${ids.length} tasks`,
      '$N counts the tasks of the batch from 1',
    );
  }
  if (n === index + 1) throw new DaedalusError('CYCLE', `task ${index + 1} of the batch depends on itself (${ref})`, 'remove the self-reference');
  return ids[n - 1]!;
}

/** Depth-first search over the batch's own edges; existing tasks cannot depend on new ones. */
function findCycle(ids: string[], edges: Map<string, string[]>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 1);
    stack.push(id);
    for (const dep of edges.get(id) ?? []) {
      if (!edges.has(dep)) continue;
      const s = state.get(dep);
      if (s === 1) return [...stack.slice(stack.indexOf(dep)), dep];
      if (s === undefined) {
        const c = visit(dep);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(id, 2);
    return null;
  };
  for (const id of ids) if (!state.has(id)) {
    const c = visit(id);
    if (c) return c;
  }
  return null;
}

interface Standing {
  state: string;
  policy: string;
}

/**
 * New tasks that could never run: a dependency already failed or was cancelled under the `cancel`
 * policy (directly, or through a task of this batch that is itself doomed). They are created
 * cancelled — what would have happened to them had they existed a moment earlier.
 */
function doomedBy(
  fresh: Set<string>,
  edges: Map<string, string[]>,
  known: Map<string, Standing>,
  policies: Map<string, string>,
): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const d of edges.get(id) ?? []) {
      if (fresh.has(d)) {
        visit(d);
        if (out.has(d) && policies.get(d) === 'cancel') out.set(id, `dependency ${d} was cancelled`);
      } else {
        const k = known.get(d);
        if (k && k.policy === 'cancel' && (k.state === 'failed' || k.state === 'cancelled')) {
          out.set(id, `dependency ${d} ${k.state === 'failed' ? 'failed' : 'was cancelled'}`);
        }
      }
      if (out.has(id)) return;
    }
  };
  for (const id of fresh) visit(id);
  return out;
}

/** An explicit id names one task forever: reusing it is the caller's mistake, not a driver error. */
async function refuseTakenIds(c: WriteCtx, ids: string[]): Promise<void> {
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new DaedalusError('INVALID_INPUT', `task id ${twice} appears twice in the batch`, 'give every task its own id, or none');
  for (const id of ids) {
    if (await c.tx.get('SELECT id FROM tasks WHERE id = ?', [id])) {
      throw new DaedalusError('INVALID_INPUT', `a task with id ${id} already exists`, 'use another id, or an idempotency key to make retries safe');
    }
  }
}

function validate(input: TaskInput, index: number): void {
  const where = `task ${index + 1}`;
  if (typeof input.title !== 'string' || input.title.trim() === '') {
    throw new DaedalusError('INVALID_INPUT', `${where}: title is required`, 'give every task a short title');
  }
  if (input.priority !== undefined && !PRIORITIES.includes(input.priority)) {
    throw new DaedalusError('INVALID_INPUT', `${where}: priority "${String(input.priority)}" is not one of ${PRIORITIES.join(', ')}`);
  }
  if (input.maxAttempts !== undefined && (!Number.isInteger(input.maxAttempts) || input.maxAttempts < 1)) {
    throw new DaedalusError('INVALID_INPUT', `${where}: maxAttempts must be a positive integer`);
  }
}

export async function createTasks(c: WriteCtx, scope: string, inputs: TaskInput[], createdBy: string | null): Promise<Task[]> {
  if (inputs.length === 0) return [];
  inputs.forEach(validate);
  const keys = inputs.flatMap((input) => (input.idempotencyKey ? [input.idempotencyKey] : []));
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new DaedalusError('INVALID_INPUT', `idempotency key ${twice} appears twice in the batch`, 'one key names one task');
  // Idempotency: a key seen before returns the task it created, so a retried request never duplicates.
  const existing = new Map<number, Task>();
  for (const [i, input] of inputs.entries()) {
    if (!input.idempotencyKey) continue;
    const row = await c.tx.get('SELECT * FROM tasks WHERE scope = ? AND idempotency_key = ?', [scope, input.idempotencyKey]);
    if (row) existing.set(i, await withDeps(c.tx, row));
  }
  const ids = inputs.map((input, i) => existing.get(i)?.id ?? input.id ?? newId('t'));
  await refuseTakenIds(c, inputs.flatMap((input, i) => (input.id && !existing.has(i) ? [input.id] : [])));
  const edges = new Map<string, string[]>();
  inputs.forEach((input, i) => {
    const prior = existing.get(i);
    // A task that already exists keeps the edges it was created with.
    if (prior) {
      edges.set(prior.id, prior.dependsOn);
      return;
    }
    const deps = [...new Set((input.dependsOn ?? []).map((ref) => resolveRef(ref, i, ids)))];
    if (deps.includes(ids[i]!)) throw new DaedalusError('CYCLE', `task ${ids[i]} depends on itself`, 'remove the self-reference');
    edges.set(ids[i]!, deps);
  });
  const cycle = findCycle(
    ids.filter((_, i) => !existing.has(i)),
    edges,
  );
  if (cycle) throw new DaedalusError('CYCLE', `dependency cycle: ${cycle.join(' → ')}`, 'break one of these edges');

  // Every dependency outside the batch must exist in this scope; remember how it stands.
  const fresh = new Set(ids.filter((_, i) => !existing.has(i)));
  const known = new Map<string, Standing>([...existing.values()].map((t) => [t.id, { state: t.state, policy: t.dependentsPolicy }]));
  const outside = [...new Set([...edges.values()].flat().filter((d) => !fresh.has(d) && !known.has(d)))];
  for (let i = 0; i < outside.length; i += 500) {
    const chunk = outside.slice(i, i + 500);
    // Locked, so a dependency finishing or failing concurrently waits for this batch to commit and
    // then sees its new dependents (PostgreSQL; SQLite serialises every writer anyway).
    const rows = await c.tx.all<{ id: string; state: string; dependents_policy: string }>(
      `SELECT id, state, dependents_policy FROM tasks WHERE scope = ? AND id IN (${chunk.map(() => '?').join(',')})${c.d.forUpdate}`,
      [scope, ...chunk],
    );
    for (const r of rows) known.set(r.id, { state: r.state, policy: r.dependents_policy });
  }
  const missing = outside.filter((d) => !known.has(d));
  if (missing.length > 0) {
    throw new DaedalusError('UNKNOWN_DEPENDENCY', `unknown dependency: ${missing.join(', ')}`, 'depend only on task ids that exist in this scope, or $N for this batch');
  }
  const doomed = doomedBy(fresh, edges, known, new Map(inputs.map((input, i) => [ids[i]!, input.dependentsPolicy ?? 'cancel'])));

  const created: Task[] = [];
  for (const [i, input] of inputs.entries()) {
    const prior = existing.get(i);
    if (prior) {
      created.push(prior);
      continue;
    }
    const id = ids[i]!;
    const deps = edges.get(id)!;
    // A dependency that is already done does not hold the task back.
    const pending = deps.filter((d) => fresh.has(d) || known.get(d)?.state !== 'done').length;
    const reason = doomed.get(id) ?? null;
    const state = reason ? 'cancelled' : pending === 0 ? 'ready' : 'blocked';
    const priority = input.priority ?? 'medium';
    const row = await c.tx.get(
      `INSERT INTO tasks (id, scope, run_id, key, type, title, description, payload, state, priority, prio, rank,
         estimate_ms, attempt, max_attempts, dependents_policy, integrate, assignee, idempotency_key, created_by,
         created_at, updated_at, pending_deps, error, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      [
        id,
        scope,
        input.runId ?? null,
        input.key ?? null,
        input.type ?? 'other',
        input.title,
        input.description ?? '',
        toJson(input.payload ?? null),
        state,
        priority,
        PRIO_CLASS[priority] ?? 2,
        input.rank ?? 0,
        input.estimateMs ?? null,
        input.maxAttempts ?? 3,
        input.dependentsPolicy ?? 'cancel',
        input.integrate ?? false,
        input.assignee ?? null,
        input.idempotencyKey ?? null,
        createdBy,
        c.now,
        c.now,
        pending,
        reason,
        reason ? c.now : null,
      ],
    );
    for (const d of deps) await c.tx.run('INSERT INTO task_deps (task_id, depends_on) VALUES (?, ?)', [id, d]);
    c.emit(scope, 'task.created', { state, key: input.key ?? null }, { taskId: id, runId: input.runId ?? null, instanceId: createdBy });
    if (state === 'ready') c.emit(scope, 'task.ready', {}, { taskId: id, runId: input.runId ?? null });
    if (state === 'cancelled') c.emit(scope, 'task.cancelled', { by: null, reason }, { taskId: id, runId: input.runId ?? null });
    created.push(rowToTask(row!, [...deps].sort()));
  }
  return created;
}
