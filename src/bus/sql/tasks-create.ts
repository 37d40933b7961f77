import { DaedalusError } from '../../errors.js';
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
  // Idempotency: a key seen before returns the task it created, so a retried request never duplicates.
  const existing = new Map<number, Task>();
  for (const [i, input] of inputs.entries()) {
    if (!input.idempotencyKey) continue;
    const row = await c.tx.get('SELECT * FROM tasks WHERE scope = ? AND idempotency_key = ?', [scope, input.idempotencyKey]);
    if (row) existing.set(i, await withDeps(c.tx, row));
  }
  const ids = inputs.map((input, i) => existing.get(i)?.id ?? input.id ?? newId('t'));
  const edges = new Map<string, string[]>();
  inputs.forEach((input, i) => {
    const deps = [...new Set((input.dependsOn ?? []).map((ref) => resolveRef(ref, i, ids)))];
    if (deps.includes(ids[i]!)) throw new DaedalusError('CYCLE', `task ${ids[i]} depends on itself`, 'remove the self-reference');
    edges.set(ids[i]!, deps);
  });
  const cycle = findCycle(
    ids.filter((_, i) => !existing.has(i)),
    edges,
  );
  if (cycle) throw new DaedalusError('CYCLE', `dependency cycle: ${cycle.join(' → ')}`, 'break one of these edges');

  // Every dependency outside the batch must exist in this scope; remember whether it is done.
  const batch = new Set(ids);
  const outside = [...new Set([...edges.values()].flat().filter((d) => !batch.has(d)))];
  const outsideState = new Map<string, string>();
  for (let i = 0; i < outside.length; i += 500) {
    const chunk = outside.slice(i, i + 500);
    const rows = await c.tx.all<{ id: string; state: string }>(
      `SELECT id, state FROM tasks WHERE scope = ? AND id IN (${chunk.map(() => '?').join(',')})`,
      [scope, ...chunk],
    );
    for (const r of rows) outsideState.set(r.id, r.state);
  }
  const missing = outside.filter((d) => !outsideState.has(d));
  if (missing.length > 0) {
    throw new DaedalusError('UNKNOWN_DEPENDENCY', `unknown dependency: ${missing.join(', ')}`, 'depend only on task ids that exist in this scope, or $N for this batch');
  }

  const created: Task[] = [];
  for (const [i, input] of inputs.entries()) {
    const prior = existing.get(i);
    if (prior) {
      created.push(prior);
      continue;
    }
    const id = ids[i]!;
    const deps = edges.get(id)!;
    // A dependency that is already done does not hold the task back; a failed or cancelled one does.
    const pending = deps.filter((d) => (batch.has(d) ? true : outsideState.get(d) !== 'done')).length;
    const state = pending === 0 ? 'ready' : 'blocked';
    const priority = input.priority ?? 'medium';
    const row = await c.tx.get(
      `INSERT INTO tasks (id, scope, run_id, key, type, title, description, payload, state, priority, prio, rank,
         estimate_ms, attempt, max_attempts, dependents_policy, integrate, assignee, idempotency_key, created_by,
         created_at, updated_at, pending_deps)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
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
      ],
    );
    for (const d of deps) await c.tx.run('INSERT INTO task_deps (task_id, depends_on) VALUES (?, ?)', [id, d]);
    c.emit(scope, 'task.created', { state, key: input.key ?? null }, { taskId: id, runId: input.runId ?? null, instanceId: createdBy });
    if (state === 'ready') c.emit(scope, 'task.ready', {}, { taskId: id, runId: input.runId ?? null });
    created.push(rowToTask(row!, [...deps].sort()));
  }
  return created;
}
