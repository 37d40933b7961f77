import { describeError } from './errors.js';

/** Where a step that may fail without stopping its caller says that it failed. */
export type Warn = (line: string) => void;

/**
 * Runs a step whose failure must not stop the caller (a heartbeat, a cleanup, a history row) and
 * reports the failure instead of swallowing it: a bus that keeps failing shows up in the log.
 */
export async function bestEffort<T>(what: string, step: Promise<T> | (() => Promise<T>), warn: Warn): Promise<T | undefined> {
  try {
    return await (typeof step === 'function' ? step() : step);
  } catch (e) {
    warn(`${what} failed: ${describeError(e)}`);
    return undefined;
  }
}

/** Nowhere to report to (a process already going away): keep the reason for a debugging person. */
export const warnToStderr: Warn = (line) => {
  if (process.env.DAEDALUS_DEBUG) process.stderr.write(`[daedalus] ${line}\n`);
};
