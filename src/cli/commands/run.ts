import { bestEffort, DaedalusError, jsonWithRows, keepHeapLean, processOutput, useSpawnHelper, type Output } from '../../common/index.js';
import { formatReport, Progress, runPlan, type ProgressMode, type RunOptions, type RunResult } from '../../run/index.js';

export interface RunCommandOptions extends Omit<RunOptions, 'onNote' | 'onDecision' | 'onStart' | 'signal'> {
  json?: boolean;
  output?: Output;
  /** Stop on this signal instead of SIGINT (tests). */
  signal?: AbortSignal;
}

/**
 * `daedalus run`: the run with its progress view and report. Ctrl-C stops gracefully (no new
 * agents, running ones get SIGTERM then SIGKILL, the run stays resumable); a second Ctrl-C exits
 * at once — the agents' guards still take them down.
 */
export async function runCommand(opts: RunCommandOptions): Promise<RunResult> {
  const out = opts.output ?? processOutput;
  const mode: ProgressMode = opts.json ? 'json' : out.isTTY ? 'tty' : 'plain';
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      out.err('daedalus: stopping — waiting for agents to exit (Ctrl-C again to quit now)');
      ac.abort();
    } else process.exit(130);
  };
  if (!opts.signal) {
    process.on('SIGINT', onSigint);
    useSpawnHelper();
    keepHeapLean();
  }
  opts.signal?.addEventListener('abort', () => ac.abort());
  let progress: Progress | null = null;
  try {
    const result = await runPlan({
      ...opts,
      signal: ac.signal,
      onNote: (line) => progress?.note(line),
      onDecision: (d) => progress?.decision(d),
      onStart: ({ store, scope, runId }) => {
        progress = new Progress(mode, out, store, scope, runId);
        void progress.start();
      },
    });
    await (progress as Progress | null)?.stop();
    if (opts.json) {
      // Each task's full result is in its results file; the report line is written in pieces (a run
      // of thousands of tasks makes megabytes of it).
      for (const piece of jsonWithRows({ type: 'report', ...result.report, finish: result.finish }, 'tasks', result.report.tasks)) out.write(piece);
      out.write('\n');
    }
    else {
      out.out('');
      out.out(formatReport(result.report));
      if (result.finish && result.finish.status !== 'conflict') out.out(`merged into ${result.finish.target} (${result.finish.status})`);
      if (result.report.status === 'interrupted') out.out(`resume with: daedalus run --resume ${result.runId}`);
    }
    return result;
  } finally {
    const shown = progress as Progress | null;
    if (shown) await bestEffort('stopping the progress view', () => shown.stop(), (line) => out.err(`daedalus: ${line}`));
    process.off('SIGINT', onSigint);
  }
}

/** Exit code of a finished run: 0 when every task is done. */
export function runExitCode(r: RunResult): number {
  return r.report.status === 'done' ? 0 : 1;
}

export function requirePlanOrResume(plan: string | undefined, resume: string | undefined): void {
  if (!plan && !resume) throw new DaedalusError('INVALID_INPUT', 'give a plan to run, or --resume RUN', 'daedalus run examples/map-reduce.yaml');
  if (plan && resume) throw new DaedalusError('INVALID_INPUT', 'give either a plan or --resume, not both', 'a resumed run keeps the plan it started with');
}
