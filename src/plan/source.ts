/**
 * YAML with positions. Validation walks the parsed nodes instead of plain JS values so that every
 * message can name the line of the field it is about, and aliases are followed transparently.
 */
import { readFile } from 'node:fs/promises';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { IssueList } from './issues.js';

export interface YamlFile {
  /** Absolute path. */
  path: string;
  /** The path as messages show it. */
  display: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** A value in a file with the field it belongs to and the line messages should point at. */
export interface Val {
  file: YamlFile;
  node: unknown;
  line: number;
  field: string;
}

export type ValueKind = 'mapping' | 'list' | 'string' | 'number' | 'boolean' | 'nothing';

/** Reads and parses one file; syntax errors and empty files become issues and give `undefined`. */
export async function readYaml(path: string, display: string, issues: IssueList, given?: string): Promise<Val | undefined> {
  let text: string;
  try {
    text = given ?? (await readFile(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String((e as Error).message);
    issues.add(display, 1, '', what, 'check the path of the plan');
    return undefined;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const file: YamlFile = { path, display, doc, lines };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const line = e.linePos?.[0]?.line ?? 1;
      const what = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      if (e.code === 'DUPLICATE_KEY') {
        const key = /^\s*(?:-\s+)?["']?([^:"']+)/.exec(text.slice(e.pos[0]).split('\n')[0] ?? '')?.[1]?.trim();
        issues.add(display, line, key ?? '', `duplicate key${key ? ` "${key}"` : ''} in the same mapping`, 'remove or rename one of them');
        continue;
      }
      issues.add(display, line, '', `not valid YAML: ${what}`, 'fix the YAML syntax at that line');
    }
    return undefined;
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    issues.add(display, 1, '', 'file is empty', 'write a plan (plan, defaults, packages) or a package (id, description)');
    return undefined;
  }
  return { file, node: doc.contents, line: lineAt(file, doc.contents, 1), field: '' };
}

export function lineAt(file: YamlFile, node: unknown, fallback: number): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? file.lines.linePos(range[0]).line : fallback;
}

function deref(file: YamlFile, node: unknown): unknown {
  return isAlias(node) ? node.resolve(file.doc) : node;
}

export function kindOf(v: Val): ValueKind {
  const n = deref(v.file, v.node);
  if (isMap(n)) return 'mapping';
  if (isSeq(n)) return 'list';
  if (isScalar(n)) {
    const x = n.value;
    if (x === null || x === undefined) return 'nothing';
    if (typeof x === 'string') return 'string';
    if (typeof x === 'number' || typeof x === 'bigint') return 'number';
    if (typeof x === 'boolean') return 'boolean';
  }
  return n === null || n === undefined ? 'nothing' : 'string';
}

/** A/an plus the kind, for "expected a list, got a mapping". */
export function describeKind(k: ValueKind): string {
  return k === 'nothing' ? 'nothing' : k === 'mapping' ? 'a mapping' : k === 'list' ? 'a list' : `a ${k}`;
}

export function scalar(v: Val): unknown {
  const n = deref(v.file, v.node);
  return isScalar(n) ? n.value : undefined;
}

/** The text as written, so `1.10` stays `1.10` where a string was meant. */
export function scalarSource(v: Val): string | undefined {
  const n = deref(v.file, v.node);
  if (!isScalar(n)) return undefined;
  return typeof n.source === 'string' ? n.source : String(n.value);
}

export function items(v: Val): Val[] {
  const n = deref(v.file, v.node);
  if (!isSeq(n)) return [];
  return n.items.map((item) => ({ file: v.file, node: item, line: lineAt(v.file, item, v.line), field: v.field }));
}

export interface Entry {
  key: string;
  val: Val;
}

/** Key/value pairs of a mapping; each value's line is its key's line, its field `prefix.key`. */
export function entries(v: Val, prefix: string): Entry[] {
  const n = deref(v.file, v.node);
  if (!isMap(n)) return [];
  const out: Entry[] = [];
  for (const pair of n.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const line = lineAt(v.file, pair.key, v.line);
    out.push({ key, val: { file: v.file, node: pair.value, line, field: prefix ? `${prefix}.${key}` : key } });
  }
  return out;
}
