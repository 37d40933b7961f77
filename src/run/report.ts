import { closeSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { taskPages, type Task, type TaskState } from '../bus/index.js';
import { formatDuration, jsonWithRows } from '../common/index.js';
import { criticalPath, makespanLowerBound } from '../plan/index.js';
import type { RunContext } from '../executor/index.js';
import type { AttemptOutcome } from '../executor/index.js';
import type { RunRecord } from '../records/index.js';
import type { SuperviseResult } from '../executor/index.js';

export interface TaskReport {
  id: string;
  taskId: string;
  state: TaskState;
  attempts: number;
  durationMs: number | null;
  costUsd: number | null;
  tokens: { input: number; output: number } | null;
  filesChanged: string[];
  failureKind: string | null;
  error: string | null;
}

export interface RunReport {
  runId: string;
  plan: string;
  status: 'done' | 'failed' | 'partial' | 'interrupted';
  repo: string;
  integrationBranch: string;
  maxAgents: number;
  counts: Record<TaskState, number>;
  tasks: TaskReport[];
  makespanMs: number;
  sumTaskMs: number;
  speedup: number;
  criticalPath: { ids: string[]; ms: number };
  lowerBoundMs: number;
  ratioToLowerBound: number;
  costUsd: number;
  dispatchMs: { p50: number | null; max: number | null; samples: number };
  /**
   * The verify gate: how often it ran, how many of those failed (undoing a merge, or a batch that
   * was then verified merge by merge), how many merges its runs covered (more than runs with
   * `verify_after: batch`), and the time it took.
   */
  verify: { runs: number; failed: number; merges: number; totalMs: number };
  summary: Record<string, unknown>;
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** The bus names tasks by their run-qualified ids; people know them by package id. */
function byKey(text: string, seen: Map<string, Seen>): string {
  let out = text;
  for (const [id, { key }] of seen) if (key && out.includes(id)) out = out.replaceAll(id, key);
  return out;
}

/** Why a task is still blocked when the run ends: its dependencies that failed (under on_failure keep). */
function blockedBy(dependsOn: string[], seen: Map<string, Seen>): string | null {
  const stuck = dependsOn.flatMap((d) => {
    const s = seen.get(d);
    return s && s.state !== 'done' ? [`${s.key ?? d} (${s.state})`] : [];
  });
  return stuck.length === 0 ? null : `blocked: dependency ${stuck.join(', ')} will not finish`;
}

/** What the report keeps of each task once its page is gone. */
interface Seen {
  key: string | null;
  state: TaskState;
}

/** A task whose error names other tasks, which may be on later pages: its line is finished at the end. */
interface Unfinished {
  row: TaskReport;
  error: string | null;
  dependsOn: string[];
  result: unknown;
}

function taskRow(t: Task, spent: Map<string, number>): TaskReport {
  const result = obj(t.result);
  const git = obj(result.git);
  const cost = spent.get(t.id) ?? Number(result.cost_usd);
  // `attempt` is the current or next try; a task that never started (cancelled with its failed
  // dependency, say) made none.
  const waiting = t.state === 'ready' || t.state === 'blocked' || (t.state === 'cancelled' && t.startedAt === null);
  return {
    id: t.key ?? t.id,
    taskId: t.id,
    state: t.state,
    attempts: waiting ? t.attempt - 1 : t.attempt,
    durationMs: t.startedAt !== null && t.finishedAt !== null ? t.finishedAt - t.startedAt : null,
    costUsd: Number.isFinite(cost) ? cost : null,
    tokens: result.usage ? { input: Number(obj(result.usage).input_tokens ?? 0), output: Number(obj(result.usage).output_tokens ?? 0) } : null,
    filesChanged: Array.isArray(git.files_changed) ? (git.files_changed as string[]) : [],
    failureKind: t.state === 'done' ? null : t.failureKind,
    error: null,
  };
}

const resultsDir = (ctx: RunContext) => join(ctx.repo, '.daedalus', 'results', ctx.runId);

/**
 * Every package's result at `.daedalus/results/RUN/ID.json` in the main checkout, and a copy at
 * each absolute `report_to` (outside the repository). A relative `report_to` was written into the
 * task's worktree and merged with its work (see the executor), so nothing lands untracked in the
 * user's checkout. `.daedalus/` ignores itself.
 */
class ResultFiles {
  private readonly dir: string;
  private readonly reportTo: Map<string, string>;

  constructor(private readonly ctx: RunContext) {
    const root = join(ctx.repo, '.daedalus');
    this.dir = resultsDir(ctx);
    mkdirSync(this.dir, { recursive: true });
    if (!existsSync(join(root, '.gitignore'))) writeFileSync(join(root, '.gitignore'), '# Daedalus\'s own files: seed, results. Not part of the project.\n*\n');
    this.reportTo = new Map(ctx.plan.packages.flatMap((p) => (p.outputs.reportTo && isAbsolute(p.outputs.reportTo) ? [[p.id, p.outputs.reportTo]] : [])));
  }

  write(row: TaskReport, result: unknown): void {
    const text = `${JSON.stringify({ run: this.ctx.runId, package: row.id, ...row, result }, null, 2)}\n`;
    writeFileSync(join(this.dir, `${row.id}.json`), text);
    const copy = this.reportTo.get(row.id);
    if (copy) {
      mkdirSync(dirname(copy), { recursive: true });
      writeFileSync(copy, text);
    }
  }
}

/**
 * The end-of-run report: per task, and the figures that say how well the run used its agents.
 * It reads the run's tasks a page at a time and writes each package's results file as it goes, so a
 * run of thousands of tasks never holds every task's payload and result at once; the report keeps
 * one small line per task.
 */
export async function reportRun(ctx: RunContext, record: RunRecord, outcome: SuperviseResult): Promise<RunReport> {
  const counts = await ctx.store.countTasks(ctx.scope, ctx.runId);
  // What every attempt spent, failed ones included: the result only says what the last one did.
  const spent = new Map<string, number>();
  for (const h of await ctx.store.listHistory(ctx.scope, { runId: ctx.runId, limit: 100_000 })) {
    if (h.taskId && h.costUsd !== null) spent.set(h.taskId, (spent.get(h.taskId) ?? 0) + h.costUsd);
  }
  const files = new ResultFiles(ctx);
  const seen = new Map<string, Seen>();
  const rows: TaskReport[] = [];
  const unfinished: Unfinished[] = [];
  let firstStart = Infinity;
  let lastFinish = -Infinity;
  for await (const page of taskPages(ctx.store, ctx.scope, { runId: ctx.runId })) {
    for (const t of page) {
      seen.set(t.id, { key: t.key, state: t.state });
      const row = taskRow(t, spent);
      rows.push(row);
      if (t.startedAt !== null) firstStart = Math.min(firstStart, t.startedAt);
      if (t.finishedAt !== null) lastFinish = Math.max(lastFinish, t.finishedAt);
      if (t.state !== 'done' && (t.state === 'blocked' || t.error !== null)) unfinished.push({ row, error: t.error, dependsOn: t.state === 'blocked' ? t.dependsOn : [], result: t.result });
      else files.write(row, t.result);
    }
  }
  for (const u of unfinished) {
    u.row.error = u.row.state === 'blocked' ? blockedBy(u.dependsOn, seen) : byKey(u.error!, seen);
    files.write(u.row, u.result);
  }
  const order = new Map(ctx.plan.packages.map((p, i) => [p.id, i]));
  rows.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));

  const makespanMs = Number.isFinite(firstStart) && Number.isFinite(lastFinish) ? lastFinish - firstStart : 0;
  // Actual time per task: the attempts this supervisor saw, else the task's own span.
  const actual = new Map<string, number>();
  for (const r of rows) actual.set(r.id, r.durationMs ?? 0);
  const attemptSum = new Map<string, number>();
  for (const a of outcome.attempts) attemptSum.set(a.pkgId, (attemptSum.get(a.pkgId) ?? 0) + a.durationMs);
  for (const [id, ms] of attemptSum) actual.set(id, Math.max(actual.get(id) ?? 0, ms));
  const nodes = ctx.plan.packages.map((p) => ({ id: p.id, dependsOn: p.dependsOn }));
  const sumTaskMs = [...actual.values()].reduce((a, b) => a + b, 0);
  const cp = criticalPath(nodes, actual);
  const lowerBoundMs = makespanLowerBound(nodes, actual, record.maxAgents);
  const dispatch = outcome.attempts.map((a: AttemptOutcome) => a.dispatchMs).filter((x): x is number => x !== null);
  const costUsd = rows.reduce((s, r) => s + (r.costUsd ?? 0), 0);
  const verify = { runs: 0, failed: 0, merges: 0, totalMs: 0 };
  for (const e of await ctx.store.readEvents(ctx.scope, { after: 0, runId: ctx.runId, types: ['run.verify'], limit: 100_000 })) {
    const v = e.data as { ok: boolean; duration_ms: number; packages?: string[] };
    verify.runs++;
    verify.merges += v.packages?.length ?? 1;
    if (!v.ok) verify.failed++;
    verify.totalMs += v.duration_ms;
  }
  const status: RunReport['status'] =
    outcome.stoppedBy === 'interrupt' && !outcome.quiet ? 'interrupted' : counts.done === rows.length ? 'done' : counts.done === 0 ? 'failed' : 'partial';
  const report: RunReport = {
    runId: ctx.runId,
    plan: ctx.plan.name,
    status,
    repo: ctx.repo,
    integrationBranch: `daedalus/${ctx.runId}/integration`,
    maxAgents: record.maxAgents,
    counts,
    tasks: rows,
    makespanMs,
    sumTaskMs,
    speedup: makespanMs > 0 ? sumTaskMs / makespanMs : 0,
    criticalPath: { ids: cp.ids, ms: cp.totalMs },
    lowerBoundMs,
    ratioToLowerBound: lowerBoundMs > 0 ? makespanMs / lowerBoundMs : 0,
    costUsd,
    dispatchMs: { p50: quantile(dispatch, 0.5), max: dispatch.length > 0 ? Math.max(...dispatch) : null, samples: dispatch.length },
    verify,
    summary: {},
  };
  report.summary = {
    status,
    done: counts.done,
    failed: counts.failed,
    cancelled: counts.cancelled,
    makespan_ms: makespanMs,
    speedup: Math.round(report.speedup * 100) / 100,
    ratio_to_lower_bound: Math.round(report.ratioToLowerBound * 100) / 100,
    stopped_by: outcome.stoppedBy,
  };
  return report;
}

/** The report's summary beside the results files (`summary.json`), written in pieces; returns its path. */
export function writeSummary(ctx: RunContext, report: RunReport): string {
  const summary = join(resultsDir(ctx), 'summary.json');
  const fd = openSync(summary, 'w');
  try {
    for (const piece of jsonWithRows(report, 'tasks', report.tasks, 2)) writeSync(fd, piece);
    writeSync(fd, '\n');
  } finally {
    closeSync(fd);
  }
  return summary;
}

/** The first line of a text, cut to max characters. */
const clipLine = (text: string | null, max: number) => {
  const line = text?.split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
/** Durations in the report: two units at most, seconds with one decimal under a minute. */
export const shortDuration = (ms: number | null): string => (ms === null ? '-' : formatDuration(ms, { approx: 2 }));
const dur = shortDuration;

export function formatReport(r: RunReport): string {
  const lines: string[] = [];
  lines.push(`run ${r.runId} (${r.plan}): ${r.status}`);
  lines.push('');
  const head = ['PACKAGE', 'STATE', 'TRIES', 'TIME', 'COST', 'TOKENS', 'FILES', 'NOTE'];
  const rows = r.tasks.map((t) => [
    t.id,
    t.state,
    String(t.attempts),
    dur(t.durationMs),
    t.costUsd === null ? '-' : `$${t.costUsd.toFixed(2)}`,
    t.tokens === null ? '-' : `${t.tokens.input}/${t.tokens.output}`,
    String(t.filesChanged.length),
    t.state === 'done' ? '' : [t.failureKind, clipLine(t.error, 110)].filter(Boolean).join(': '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  lines.push(head.map((h, i) => pad(h, widths[i]!)).join('  ').trimEnd());
  for (const row of rows) lines.push(row.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd());
  lines.push('');
  lines.push(`makespan ${dur(r.makespanMs)} · task time ${dur(r.sumTaskMs)} · speedup ${r.speedup.toFixed(2)}× over serial with ${r.maxAgents} agents`);
  lines.push(`critical path ${r.criticalPath.ids.join(' → ') || '-'} (${dur(r.criticalPath.ms)})`);
  lines.push(`lower bound ${dur(r.lowerBoundMs)} · makespan / lower bound ${r.ratioToLowerBound.toFixed(2)}`);
  if (r.costUsd > 0) lines.push(`cost $${r.costUsd.toFixed(2)}`);
  if (r.dispatchMs.p50 !== null) lines.push(`dispatch (claim → agent running, worktree excluded) p50 ${r.dispatchMs.p50} ms`);
  if (r.verify.runs > 0) lines.push(`verify ${r.verify.runs} run(s) covering ${r.verify.merges} merge(s), ${r.verify.failed} failed, ${dur(r.verify.totalMs)} in all`);
  lines.push(`integration branch ${r.integrationBranch}`);
  return lines.join('\n');
}
