/**
 * The verify gate's commands: run one after another in the integration worktree right after a
 * merge, while the run's merge lock is still held, so nothing else lands between the merge and its
 * verdict and a failure can simply put the branch back where it was.
 */
import { spawn } from 'node:child_process';

export interface VerifySpec {
  /** Shell commands (`sh -c`), all of which must exit 0. */
  commands: string[];
  timeoutMs: number;
  /** Extra environment for the commands (the plan's env, DAEDALUS_SLOT-free). */
  env?: Record<string, string>;
}

export interface VerifyResult {
  ok: boolean;
  /** The command that failed (null when all passed). */
  failed: string | null;
  exitCode: number | null;
  timedOut: boolean;
  /** The last part of the failing command's output (stdout and stderr interleaved). */
  output: string;
  durationMs: number;
}

/** How much of a failing command's output is kept: enough for a fix, not a whole test log. */
const OUTPUT_TAIL = 8000;

export async function runVerify(cwd: string, spec: VerifySpec): Promise<VerifyResult> {
  const started = Date.now();
  for (const command of spec.commands) {
    const r = await runOne(cwd, command, spec);
    if (r.exitCode !== 0 || r.timedOut) {
      return { ok: false, failed: command, exitCode: r.exitCode, timedOut: r.timedOut, output: r.output.slice(-OUTPUT_TAIL), durationMs: Date.now() - started };
    }
  }
  return { ok: true, failed: null, exitCode: 0, timedOut: false, output: '', durationMs: Date.now() - started };
}

function runOne(cwd: string, command: string, spec: VerifySpec): Promise<{ exitCode: number | null; timedOut: boolean; output: string }> {
  return new Promise((resolve) => {
    // Its own process group, so a timeout takes the test runner's children with it.
    const child = spawn('sh', ['-c', command], { cwd, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const take = (b: Buffer) => {
      output += b.toString('utf8');
      if (output.length > OUTPUT_TAIL * 2) output = output.slice(-OUTPUT_TAIL);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, spec.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, timedOut: false, output: `${output}\n${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, timedOut, output: timedOut ? `${output}\n(verify command timed out after ${spec.timeoutMs} ms)` : output });
    });
  });
}
