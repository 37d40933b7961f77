/**
 * The one error class that crosses module boundaries. Callers branch on `code`, people read
 * `message` and `hint`. The CLI prints these as one line; the MCP server turns them into isError
 * results. Anything that is not a DaedalusError is a bug and is reported as INTERNAL.
 */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'NOT_REGISTERED'
  | 'ALREADY_ADOPTED'
  | 'LEASE_LOST'
  | 'INVALID_STATE'
  | 'CYCLE'
  | 'UNKNOWN_DEPENDENCY'
  | 'VERSION_CONFLICT'
  | 'NOT_AN_ARRAY'
  | 'LOCK_HELD'
  | 'PATH_ESCAPE'
  | 'FORBIDDEN'
  | 'TOO_LARGE'
  | 'SCHEMA_TOO_NEW'
  | 'BAD_BUS_ADDRESS'
  | 'BUS_UNAVAILABLE'
  | 'PLAN_INVALID'
  | 'PLAN_CYCLE'
  | 'GIT_ERROR'
  | 'WORKSPACE_ERROR'
  | 'MERGE_CONFLICT'
  | 'DIRTY_CHECKOUT'
  | 'SETUP_FAILED'
  | 'SCOPE_VIOLATION'
  | 'TIMEOUT'
  | 'INTERNAL';

export class DaedalusError extends Error {
  override readonly name = 'DaedalusError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** One line telling the reader what to do next. */
    readonly hint?: string,
    /**
     * Structured context for machines (the holder of a lock, the current version, ...). An error
     * that stands for several problems lists them as `problems: Problem[]`, first one first.
     */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** One of several things wrong, as an error that stands for all of them lists them. */
export interface Problem {
  text: string;
  hint?: string;
}

/** The problems an error lists (several at once, say a plan's), or none. */
export function problemsOf(e: unknown): Problem[] {
  const list = e instanceof DaedalusError ? e.details?.problems : undefined;
  return Array.isArray(list) ? (list as Problem[]) : [];
}

export function isDaedalusError(e: unknown, code?: ErrorCode): e is DaedalusError {
  return e instanceof DaedalusError && (code === undefined || e.code === code);
}

/** One human line for any thrown value: the message, then the hint when there is one. */
export function describeError(e: unknown): string {
  if (e instanceof DaedalusError) return e.hint ? `${e.message} (${e.hint})` : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
