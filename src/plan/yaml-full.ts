/**
 * The full way to read a plan: the `yaml` package's document model, with precise syntax errors
 * (line, duplicate keys) and every YAML feature (anchors, aliases, tags). Used when the quick
 * reader declines a file, and to report the problems of a plan that failed validation.
 */
import type * as Yaml from 'yaml';
import type { Document, LineCounter as LineCounterType } from 'yaml';
import type { IssueList } from './issues.js';
import type { YamlNode } from './yaml-tree.js';

type YamlLib = typeof Yaml;

/** Loaded on first use: a valid plan read by the quick reader never needs it. */
let lib: YamlLib | undefined;

export async function parseFull(text: string, display: string, issues: IssueList): Promise<YamlNode | null | undefined> {
  lib ??= await import('yaml');
  const y = lib;
  const lines = new y.LineCounter();
  const doc = y.parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
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
  return convert(y, doc, lines, doc.contents);
}

function convert(y: YamlLib, doc: Document.Parsed, lines: LineCounterType, node: unknown): YamlNode | null {
  const n = y.isAlias(node) ? node.resolve(doc) : node;
  const range = (n as { range?: [number, number, number] } | null | undefined)?.range;
  const line = range ? lines.linePos(range[0]).line : undefined;
  if (y.isMap(n)) {
    return {
      kind: 'mapping',
      line,
      pairs: n.items.map((pair) => {
        const keyRange = (pair.key as { range?: [number, number, number] } | null)?.range;
        return {
          key: y.isScalar(pair.key) ? String(pair.key.value) : String(pair.key),
          keyLine: keyRange ? lines.linePos(keyRange[0]).line : undefined,
          value: convert(y, doc, lines, pair.value),
        };
      }),
    };
  }
  if (y.isSeq(n)) return { kind: 'list', line, items: n.items.map((item) => convert(y, doc, lines, item)) };
  if (y.isScalar(n)) {
    const v = n.value;
    const value = v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : typeof v === 'number' || typeof v === 'boolean' ? v : String(v);
    return { kind: 'scalar', line, value, source: typeof n.source === 'string' ? n.source : String(n.value) };
  }
  return null;
}
