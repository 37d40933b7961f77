/**
 * Typed readers over located YAML values. Each reports what is wrong as an issue naming the field
 * and returns `undefined`, so the caller can go on and collect further problems.
 */
import type { IssueList } from './issues.js';
import { suggest } from './issues.js';
import type { Val } from './source.js';
import { describeKind, entries, items, kindOf, scalar, scalarSource } from './source.js';
import { parseDuration } from '../common/index.js';
import { parseSize } from './units.js';

function wrongType(v: Val, issues: IssueList, expected: string, hint: string): undefined {
  issues.add(v.file.display, v.line, v.field, `expected ${expected}, got ${describeKind(kindOf(v))}`, hint);
  return undefined;
}

/** A mapping's fields by name; names outside `known` are reported with the nearest known one. */
export function fieldsOf(v: Val, prefix: string, known: readonly string[], issues: IssueList, what: string): Map<string, Val> | undefined {
  if (kindOf(v) !== 'mapping') return wrongType(v, issues, 'a mapping', `write ${what} as "key: value" lines`);
  const out = new Map<string, Val>();
  for (const { key, val } of entries(v, prefix)) {
    if (!known.includes(key)) {
      issues.add(v.file.display, val.line, val.field, `unknown field "${key}" in ${what}`, suggest(key, known, 'known fields'));
      continue;
    }
    out.set(key, val);
  }
  return out;
}

/** Unset or explicitly empty (`field:` with no value) both mean "not given". */
export function isAbsent(v: Val | undefined): v is undefined {
  return v === undefined || kindOf(v) === 'nothing';
}

export function readString(v: Val, issues: IssueList, opts: { nonEmpty?: boolean } = {}): string | undefined {
  if (kindOf(v) !== 'string') return wrongType(v, issues, 'a string', `write ${v.field.split('.').pop()}: "…" (quote it if it looks like a number)`);
  const s = scalar(v) as string;
  if (opts.nonEmpty && s.trim() === '') {
    issues.add(v.file.display, v.line, v.field, 'must not be empty', `say what ${v.field} should be`);
    return undefined;
  }
  return s;
}

export function readEnum<T extends string>(v: Val, values: readonly T[], issues: IssueList): T | undefined {
  const s = kindOf(v) === 'string' ? (scalar(v) as string) : undefined;
  if (s !== undefined && (values as readonly string[]).includes(s)) return s as T;
  const shown = s !== undefined ? `"${s}"` : describeKind(kindOf(v));
  issues.add(v.file.display, v.line, v.field, `${shown} is not one of ${values.join(', ')}`, s !== undefined ? suggest(s, values, 'allowed') : `allowed: ${values.join(', ')}`);
  return undefined;
}

export function readInt(v: Val, issues: IssueList, min: number): number | undefined {
  const n = scalar(v);
  if (kindOf(v) !== 'number' || !Number.isInteger(Number(n))) return wrongType(v, issues, `a whole number ≥ ${min}`, `write ${v.field.split('.').pop()}: ${Math.max(min, 1)}`);
  if (Number(n) < min) {
    issues.add(v.file.display, v.line, v.field, `${String(n)} is less than ${min}`, `use a whole number ≥ ${min}`);
    return undefined;
  }
  return Number(n);
}

export function readNumber(v: Val, issues: IssueList, min: number, max = Infinity): number | undefined {
  const n = Number(scalar(v));
  if (kindOf(v) !== 'number' || !Number.isFinite(n)) return wrongType(v, issues, 'a number', `write ${v.field.split('.').pop()}: ${min}`);
  if (n < min || n > max) {
    const range = max === Infinity ? `≥ ${min}` : `between ${min} and ${max}`;
    issues.add(v.file.display, v.line, v.field, `${n} is out of range`, `use a number ${range}`);
    return undefined;
  }
  return n;
}

export function readBool(v: Val, issues: IssueList): boolean | undefined {
  if (kindOf(v) !== 'boolean') return wrongType(v, issues, 'true or false', `write ${v.field.split('.').pop()}: true`);
  return scalar(v) as boolean;
}

export function readDuration(v: Val, issues: IssueList, opts: { positive?: boolean } = {}): number | undefined {
  const k = kindOf(v);
  const parsed = parseDuration(k === 'number' || k === 'string' ? scalar(v) : { kind: k });
  if (parsed.ok && opts.positive && parsed.value === 0) {
    issues.add(v.file.display, v.line, v.field, 'must be longer than zero', 'give a duration like 30s or 45m, or leave the field out for the default');
    return undefined;
  }
  if (parsed.ok) return parsed.value;
  issues.add(v.file.display, v.line, v.field, k === 'number' || k === 'string' ? parsed.error : `expected a duration, got ${describeKind(k)}`, parsed.hint);
  return undefined;
}

export function readSize(v: Val, issues: IssueList, opts: { positive?: boolean } = {}): number | undefined {
  const k = kindOf(v);
  const parsed = parseSize(k === 'number' || k === 'string' ? scalar(v) : { kind: k });
  if (parsed.ok && opts.positive && parsed.value === 0) {
    issues.add(v.file.display, v.line, v.field, 'must be larger than zero', 'give a size like 512MB or 2GiB, or leave the field out');
    return undefined;
  }
  if (parsed.ok) return parsed.value;
  issues.add(v.file.display, v.line, v.field, k === 'number' || k === 'string' ? parsed.error : `expected a size, got ${describeKind(k)}`, parsed.hint);
  return undefined;
}

export function readStringList(v: Val, issues: IssueList, example: string): string[] | undefined {
  if (kindOf(v) !== 'list') {
    const single = kindOf(v) === 'string' ? (scalar(v) as string) : undefined;
    return wrongType(v, issues, 'a list of strings', `write ${v.field.split('.').pop()}: [${single ?? example}]`);
  }
  const out: string[] = [];
  let ok = true;
  for (const item of items(v)) {
    if (kindOf(item) !== 'string') {
      issues.add(item.file.display, item.line, item.field, `expected a string in the list, got ${describeKind(kindOf(item))}`, `quote the entry, e.g. "${scalarSource(item) ?? example}"`);
      ok = false;
    } else {
      out.push(scalar(item) as string);
    }
  }
  return ok ? out : undefined;
}

/**
 * A string → string map. Numbers and booleans are taken as written (`PORT: 3000` means "3000"),
 * since environment variables are strings anyway and quoting every number is a chore.
 */
export function readStringMap(v: Val, issues: IssueList): Record<string, string> | undefined {
  if (kindOf(v) !== 'mapping') return wrongType(v, issues, 'a mapping of names to strings', `write ${v.field.split('.').pop()}: { NAME: value }`);
  const out: Record<string, string> = {};
  let ok = true;
  for (const { key, val } of entries(v, v.field)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      issues.add(val.file.display, val.line, val.field, `"${key}" is not a valid variable name`, 'use letters, digits and "_", not starting with a digit');
      ok = false;
      continue;
    }
    const k = kindOf(val);
    if (k === 'string' || k === 'number' || k === 'boolean') out[key] = k === 'string' ? (scalar(val) as string) : (scalarSource(val) ?? '');
    else {
      issues.add(val.file.display, val.line, val.field, `expected a string, got ${describeKind(k)}`, 'write a single value; quote it if in doubt');
      ok = false;
    }
  }
  return ok ? out : undefined;
}
