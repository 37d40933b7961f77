import { formatDuration } from '../common/index.js';
import type { Package } from '../plan/index.js';
import { splitPermissions } from '../approvals/index.js';

/**
 * The first turn every worker gets: who it is, its package, and the worker contract
 * (docs/worker-contract.md) in as few words as do the job — every token here is paid for on
 * every turn of every agent. The test keeps it under 1,200 tokens by `estimateTokens`.
 */

export interface RunInfo {
  runId: string;
  taskId: string;
  attempt: number;
  worktree: string;
  /** The branch the worktree is on, when known. */
  branch?: string;
  /** Attempts this task may make; a retry is mentioned so the agent checks what is already there. */
  maxAttempts?: number;
  /** Why the previous attempt ended, when this is a retry. */
  previousError?: string | null;
}

export interface PromptInput {
  pkg: Package;
  run: RunInfo;
  /** The project seed (.daedalus/seed.md), when there is one. */
  seed?: string | null;
  /** How completion reaches Daedalus: through complete_task (agents) or by exiting 0 (a template saying so). */
  completion?: 'bus' | 'exit';
}

/**
 * Tokens by the common rule of thumb for English and code: one token per 4 characters. Real
 * tokenizers land within about 20% of it on this kind of text, which is all a budget check needs.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * A failure's error may carry a section for the next attempt after this line (a verify gate's
 * output, a conflict's paths and commits): the prompt quotes it whole, where other errors give
 * only their first line.
 */
export const FOR_NEXT_ATTEMPT = '--- for the next attempt ---';

const list = (items: string[]) => items.map((i) => `- ${i}`).join('\n');

function packageSection(pkg: Package, run: RunInfo): string {
  const out: string[] = [`## Your task: ${pkg.id} (${pkg.type}${run.attempt > 1 ? `, attempt ${run.attempt}` : ''})`, pkg.description.trim()];
  if (run.attempt > 1) {
    const why = run.previousError?.trim().split('\n')[0]?.slice(0, 400);
    out.push(`An earlier attempt did not finish${why ? ` (${why})` : ''}. Its work is still in the worktree: check what is already there before you start over.`);
    const at = run.previousError?.indexOf(FOR_NEXT_ATTEMPT) ?? -1;
    if (at >= 0) out.push(run.previousError!.slice(at + FOR_NEXT_ATTEMPT.length).trim().slice(0, 4000));
  }
  if (pkg.inputs.files.length > 0) out.push(`Files (the scope of your task): ${pkg.inputs.files.join(', ')}`);
  if (pkg.inputs.context) out.push(`Context: ${pkg.inputs.context.trim()}`);
  if (pkg.outputs.expected) out.push(`Expected result: ${pkg.outputs.expected.trim()}`);
  if (pkg.constraints.length > 0) out.push(`Constraints:\n${list(pkg.constraints)}`);
  const perms = splitPermissions(pkg.permissions);
  if (perms.allow.length > 0) out.push(`Allowed without asking: ${perms.allow.join(', ')}. Other actions wait for a person's approval and may be refused.`);
  if (perms.deny.length > 0) out.push(`Never allowed: ${perms.deny.join(', ')}.`);
  return out.join('\n\n');
}

function contractSection(pkg: Package, run: RunInfo, completion: 'bus' | 'exit'): string {
  const where = `Your worktree is ${run.worktree}${run.branch ? ` (branch ${run.branch})` : ''}. Work only there; do not switch branches, merge or push.`;
  const done =
    completion === 'bus'
      ? '- When done: `complete_task` with `summary`, `files_changed`, `tests_run` (command and outcome) and `follow_ups` (work you found for later). Only this tells Daedalus you finished: exiting without it fails the task.'
      : '- When done, exit with status 0; any other status fails the task.';
  return [
    '## How to work',
    where,
    `The task is already claimed for you (task ${run.taskId}): do not claim another. Use the tools of the \`daedalus\` MCP server:`,
    '- `report_progress` with a few words at each milestone; it also keeps your lease alive.',
    '- `lock_file` before editing a file other workers may also edit (shared config, indexes, docs); `unlock_file` when done. If it is held, work on something else and check back.',
    '- `annotate` a file with findings, hazards or bugs the next person touching it must know.',
    '- Commit with git when a step works, or leave changes uncommitted: Daedalus commits what you leave and merges your branch.',
    done,
    '- If you cannot finish: `fail_task` with what went wrong and what you tried (`retryable: true` if another attempt could succeed).',
    '- `sign_guestbook` if something here felt worth leaving a mark for the workers after you (optional).',
    `Time limit: ${formatDuration(pkg.timeoutMs)} in all, and ${formatDuration(pkg.idleTimeoutMs)} without output or progress. At either limit you are stopped and the attempt fails${run.maxAttempts && run.maxAttempts > run.attempt ? '; a later attempt starts from what you committed or left in the worktree' : ''}. Report progress and finish (or fail_task) before then.`,
  ].join('\n');
}

export function buildPrompt(input: PromptInput): string {
  const { pkg, run } = input;
  const parts = [
    `You are Icarus, a worker under Daedalus, the supervisor of run ${run.runId}. Other workers change the same codebase in parallel, each in its own git worktree; stay inside your task.`,
  ];
  const seed = input.seed?.trim();
  if (seed) parts.push(`## Founding context from Daedalus\n${seed}`);
  parts.push(packageSection(pkg, run));
  parts.push(contractSection(pkg, run, input.completion ?? 'bus'));
  return `${parts.join('\n\n')}\n`;
}
