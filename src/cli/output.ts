import { DaedalusError, problemsOf, type ErrorCode, type Output } from '../common/index.js';

export { processOutput, type Output } from '../common/index.js';

/**
 * Exit codes scripts can rely on: 0 ok, 1 the command ran and reports a failure, 2 bad input or
 * usage, 3 the bus (or another needed service) is unavailable, 4 something named does not exist,
 * 5 a conflict (lease lost, lock held, version mismatch, merge conflict, dirty checkout), 70 a bug.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 3, notFound: 4, conflict: 5, internal: 70 } as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_INPUT: EXIT.usage,
  BAD_BUS_ADDRESS: EXIT.usage,
  PLAN_INVALID: EXIT.usage,
  PLAN_CYCLE: EXIT.usage,
  PATH_ESCAPE: EXIT.usage,
  CYCLE: EXIT.usage,
  UNKNOWN_DEPENDENCY: EXIT.usage,
  TOO_LARGE: EXIT.usage,
  BUS_UNAVAILABLE: EXIT.unavailable,
  SCHEMA_TOO_NEW: EXIT.unavailable,
  NOT_FOUND: EXIT.notFound,
  NOT_REGISTERED: EXIT.notFound,
  LEASE_LOST: EXIT.conflict,
  LOCK_HELD: EXIT.conflict,
  VERSION_CONFLICT: EXIT.conflict,
  MERGE_CONFLICT: EXIT.conflict,
  DIRTY_CHECKOUT: EXIT.conflict,
  ALREADY_ADOPTED: EXIT.conflict,
  INVALID_STATE: EXIT.conflict,
};

/** One line for the person, a hint when there is one, and the exit code; never a stack trace. */
export function reportError(e: unknown, output: Output, debug = Boolean(process.env.DAEDALUS_DEBUG)): number {
  const problems = problemsOf(e);
  if (e instanceof DaedalusError && problems.length > 1) {
    // Several problems (a plan's, say): all of them at once, each with its line and hint.
    output.err(`daedalus: ${e.code === 'PLAN_INVALID' ? 'the plan has' : 'found'} ${problems.length} problems:`);
    for (const p of problems) {
      output.err(`  ${p.text}`);
      if (p.hint) output.err(`    hint: ${p.hint}`);
    }
    return BY_CODE[e.code] ?? EXIT.failed;
  }
  if (e instanceof DaedalusError) {
    output.err(`daedalus: ${e.message}`);
    if (e.hint) output.err(`  hint: ${e.hint}`);
    return BY_CODE[e.code] ?? EXIT.failed;
  }
  const msg = e instanceof Error ? e.message : String(e);
  output.err(`daedalus: internal error: ${msg}`);
  output.err(debug && e instanceof Error && e.stack ? e.stack : '  hint: this is a bug; rerun with DAEDALUS_DEBUG=1 for details and report it');
  return EXIT.internal;
}
