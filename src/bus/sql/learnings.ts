/** The learnings table (migration 7): one row per run's lesson about a task type, or per planner's note. */
import { DaedalusError } from '../../common/index.js';
import type { LearningEntry, LearningInput } from '../types.js';
import type { WriteCtx } from './context.js';
import type { Param, Row, SqlTx } from './driver.js';
import { parseJson, toJson } from './rows.js';

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function rowToLearning(r: Row): LearningEntry {
  const by = r.by_concurrency === null || r.by_concurrency === undefined ? null : (parseJson(r.by_concurrency) as Record<string, number>);
  return {
    id: Number(r.id),
    scope: String(r.scope),
    taskType: String(r.task_type),
    source: String(r.source) as LearningEntry['source'],
    runId: r.run_id === null || r.run_id === undefined ? null : String(r.run_id),
    author: r.author === null || r.author === undefined ? null : String(r.author),
    attempts: Number(r.attempts),
    successes: Number(r.successes),
    durationMs: numOrNull(r.duration_ms),
    cpuCores: numOrNull(r.cpu_cores),
    peakRssBytes: numOrNull(r.peak_rss_bytes),
    concurrency: numOrNull(r.concurrency),
    parallelBenefit: numOrNull(r.parallel_benefit),
    byConcurrency: by,
    resourceCost: r.resource_cost === null || r.resource_cost === undefined ? null : parseJson(r.resource_cost),
    notes: r.notes === null || r.notes === undefined ? null : String(r.notes),
    at: Number(r.at),
  };
}

export async function recordLearning(c: WriteCtx, e: LearningInput): Promise<LearningEntry> {
  if (e.taskType.trim() === '') throw new DaedalusError('INVALID_INPUT', 'a learning needs a task type', 'name the task type it is about');
  if (e.parallelBenefit !== null && !(e.parallelBenefit >= 0 && e.parallelBenefit <= 1)) {
    throw new DaedalusError('INVALID_INPUT', `parallel_benefit must be between 0 and 1, got ${e.parallelBenefit}`, '1 = no slowdown when run together, 0 = no gain at all');
  }
  const row = await c.tx.get(
    `INSERT INTO learnings (scope, task_type, source, run_id, author, attempts, successes, duration_ms, cpu_cores, peak_rss_bytes, concurrency, parallel_benefit, by_concurrency, resource_cost, notes, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    [
      e.scope, e.taskType, e.source, e.runId, e.author, e.attempts, e.successes,
      e.durationMs === null ? null : Math.round(e.durationMs), e.cpuCores,
      e.peakRssBytes === null ? null : Math.round(e.peakRssBytes), e.concurrency, e.parallelBenefit,
      e.byConcurrency === null ? null : JSON.stringify(e.byConcurrency), e.resourceCost === null ? null : toJson(e.resourceCost), e.notes, e.at ?? c.now,
    ],
  );
  return rowToLearning(row!);
}

export async function listLearnings(tx: SqlTx, scope: string, query: { type?: string; limit?: number }): Promise<LearningEntry[]> {
  const n = Math.max(1, Math.min(query.limit ?? 500, 100_000));
  const where = ['scope = ?'];
  const params: Param[] = [scope];
  if (query.type) {
    where.push('task_type = ?');
    params.push(query.type);
  }
  const rows = await tx.all(`SELECT * FROM learnings WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${n}`, params);
  return rows.map(rowToLearning);
}

export async function resetLearnings(c: WriteCtx, scope: string, query: { type?: string }): Promise<number> {
  return query.type
    ? c.tx.run('DELETE FROM learnings WHERE scope = ? AND task_type = ?', [scope, query.type])
    : c.tx.run('DELETE FROM learnings WHERE scope = ?', [scope]);
}
