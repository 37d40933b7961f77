import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DaedalusError, formatDuration, type ErrorCode } from '../common/index.js';

export type ToolOutput = Record<string, unknown>;

/** Compact JSON for the model to read; the same object as structuredContent for programs. */
export function okResult(out: ToolOutput, notices: string[] = []): CallToolResult {
  const content: CallToolResult['content'] = [{ type: 'text', text: JSON.stringify(out) }];
  for (const n of notices) content.push({ type: 'text', text: `NOTICE ${n}` });
  return { content, structuredContent: out };
}

/**
 * `CODE: what happened — what to do`. The code comes first so a model (and a test) can branch
 * on it; the hint is the one line telling the agent its next step.
 */
export function errorResult(e: DaedalusError, notices: string[] = []): CallToolResult {
  const text = e.hint ? `${e.code}: ${e.message} — ${e.hint}` : `${e.code}: ${e.message}`;
  const content: CallToolResult['content'] = [{ type: 'text', text }];
  for (const n of notices) content.push({ type: 'text', text: `NOTICE ${n}` });
  const error: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.hint) error.hint = e.hint;
  if (e.details) error.details = e.details;
  return { content, structuredContent: { error }, isError: true };
}

export function fail(code: ErrorCode, message: string, hint?: string, details?: Record<string, unknown>): never {
  throw new DaedalusError(code, message, hint, details);
}

/** Drops null, undefined and empty arrays, so results stay short. */
export function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

export const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** "9m" / "40s": the agent reads expiries relative to now. */
export const inWords = (ms: number): string => formatDuration(Math.max(0, ms), { approx: 1 });
