/**
 * YAML with positions. Validation walks located nodes instead of plain JS values so that every
 * message can name the line of the field it is about. Files are read by the quick event reader
 * (yaml-fast.ts) when they are plain YAML, else by the full parser (yaml-full.ts); a plan that
 * fails validation is read again with the full parser only, so messages never depend on which
 * reader ran (see loadPlan).
 */
import { readFile } from 'node:fs/promises';
import type { IssueList } from './issues.js';
import { parseFast } from './yaml-fast.js';
import { parseFull } from './yaml-full.js';
import type { YamlNode } from './yaml-tree.js';

export type YamlReader = 'quick' | 'full';

export interface YamlFile {
  /** Absolute path. */
  path: string;
  /** The path as messages show it. */
  display: string;
}

/** A value in a file with the field it belongs to and the line messages should point at. */
export interface Val {
  file: YamlFile;
  node: YamlNode | null;
  line: number;
  field: string;
}

export type ValueKind = 'mapping' | 'list' | 'string' | 'number' | 'boolean' | 'nothing';

/** Reads and parses one file; syntax errors and empty files become issues and give `undefined`. */
export async function readYaml(path: string, display: string, issues: IssueList, reader: YamlReader = 'quick', given?: string): Promise<Val | undefined> {
  let text: string;
  try {
    text = given ?? (await readFile(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String((e as Error).message);
    issues.add(display, 1, '', what, 'check the path of the plan');
    return undefined;
  }
  const quick = reader === 'quick' ? parseFast(text) : undefined;
  const root = quick ?? (await parseFull(text, display, issues));
  if (root === undefined) return undefined;
  if (root === null || (root.kind === 'scalar' && root.value === null)) {
    issues.add(display, 1, '', 'file is empty', 'write a plan (plan, defaults, packages) or a package (id, description)');
    return undefined;
  }
  return { file: { path, display }, node: root, line: root.line ?? 1, field: '' };
}

export function kindOf(v: Val): ValueKind {
  const n = v.node;
  if (n === null) return 'nothing';
  if (n.kind !== 'scalar') return n.kind;
  const x = n.value;
  if (x === null) return 'nothing';
  return typeof x === 'number' ? 'number' : typeof x === 'boolean' ? 'boolean' : 'string';
}

/** A/an plus the kind, for "expected a list, got a mapping". */
export function describeKind(k: ValueKind): string {
  return k === 'nothing' ? 'nothing' : k === 'mapping' ? 'a mapping' : k === 'list' ? 'a list' : `a ${k}`;
}

export function scalar(v: Val): unknown {
  return v.node?.kind === 'scalar' ? v.node.value : undefined;
}

/** The text as written, so `1.10` stays `1.10` where a string was meant. */
export function scalarSource(v: Val): string | undefined {
  return v.node?.kind === 'scalar' ? v.node.source : undefined;
}

export function items(v: Val): Val[] {
  if (v.node?.kind !== 'list') return [];
  return v.node.items.map((item) => ({ file: v.file, node: item, line: item?.line ?? v.line, field: v.field }));
}

export interface Entry {
  key: string;
  val: Val;
}

/** Key/value pairs of a mapping; each value's line is its key's line, its field `prefix.key`. */
export function entries(v: Val, prefix: string): Entry[] {
  if (v.node?.kind !== 'mapping') return [];
  return v.node.pairs.map((pair) => ({
    key: pair.key,
    val: { file: v.file, node: pair.value, line: pair.keyLine ?? v.line, field: prefix ? `${prefix}.${pair.key}` : pair.key },
  }));
}
