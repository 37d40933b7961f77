import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { IssueList } from '../../src/plan/issues.js';
import { planCheck } from '../../src/plan/index.js';
import { parseFast } from '../../src/plan/yaml-fast.js';
import { parseFull } from '../../src/plan/yaml-full.js';
import type { YamlNode } from '../../src/plan/yaml-tree.js';
import { checkText } from './helpers.js';

/**
 * An empty node has no position in the quick reader, and the full parser sometimes gives no node at
 * all (`{ key }`): both read as "nothing", whose line is never shown (its key's line is).
 */
function comparable(n: YamlNode | null): unknown {
  if (n === null || (n.kind === 'scalar' && n.value === null && n.source === '')) return 'empty';
  if (n.kind === 'scalar') return { ...n, value: Number.isNaN(n.value) ? 'NaN' : n.value };
  if (n.kind === 'list') return { ...n, items: n.items.map(comparable) };
  return { ...n, pairs: n.pairs.map((p) => ({ ...p, value: comparable(p.value) })) };
}

async function full(text: string): Promise<{ tree: YamlNode | null | undefined; errors: number }> {
  const issues = new IssueList();
  const tree = await parseFull(text, 'plan.yaml', issues);
  return { tree, errors: issues.size };
}

/** The quick reader either declines or reads exactly what the full parser reads, lines included. */
async function agree(text: string): Promise<'quick' | 'declined' | 'invalid'> {
  const quick = parseFast(text);
  const f = await full(text);
  if (quick === undefined) return f.errors > 0 ? 'invalid' : 'declined';
  expect(f.errors, `the quick reader accepted YAML the full parser rejects:\n${text}`).toBe(0);
  expect(comparable(quick)).toEqual(comparable(f.tree ?? null));
  return 'quick';
}

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
/** Scalars as plans write them, in every style, including ones that resolve to numbers, booleans and null. */
const scalarText = fc.oneof(
  word,
  fc.constantFrom('1.10', '42', '0o17', '0x1F', '-3', '+5', '1e3', '.5', '.inf', '-.Inf', '.nan', 'true', 'False', 'NULL', '~', 'null', 'yes', '30m', '1h30m', '2024-01-01', 'Read', 'Bash(npm test:*)'),
  word.map((w) => `"${w} \\"quoted\\" \\u00e9"`),
  word.map((w) => `'${w} it''s'`),
  fc.constant(''),
);
const flowList = fc.array(fc.oneof(word, scalarText.filter((s) => s !== '' && !s.includes(':'))), { maxLength: 4 }).map((xs) => `[${xs.join(', ')}]`);

const packageText = fc
  .record({
    id: word,
    desc: fc.oneof(word, fc.constant('|\n      line one\n      line two'), fc.constant('>-\n      folded\n      text'), fc.constant('"multi\n      line"')),
    deps: fc.array(word, { maxLength: 4 }),
    blockDeps: fc.boolean(),
    extra: fc.array(fc.tuple(fc.constantFrom('priority', 'estimate', 'timeout', 'model', 'max_attempts', 'harness'), scalarText), { maxLength: 3 }),
    env: fc.array(fc.tuple(fc.stringMatching(/^[A-Z][A-Z_]{0,5}$/), scalarText), { maxLength: 3 }),
    inputs: fc.option(flowList),
    comment: fc.boolean(),
    blank: fc.boolean(),
  })
  .map((p) => {
    const lines = [`  - id: ${p.id}${p.comment ? ' # the id' : ''}`, `    description: ${p.desc}`];
    if (p.blockDeps) lines.push('    depends_on:', ...p.deps.map((d) => `      - ${d}`));
    else lines.push(`    depends_on: [${p.deps.join(', ')}]`);
    for (const [k, v] of p.extra) lines.push(`    ${k}: ${v}`);
    if (p.env.length > 0) lines.push('    env:', ...p.env.map(([k, v]) => `      ${k}: ${v}`));
    if (p.inputs !== null) lines.push(`    inputs: { files: ${p.inputs}, context: "c" }`);
    if (p.blank) lines.push('');
    return lines.join('\n');
  });

const planText = fc
  .record({ name: scalarText, defaults: fc.option(fc.constant('defaults: { harness: shell, max_agents: 4, timeout: 45m }')), packages: fc.array(packageText, { maxLength: 5 }), header: fc.boolean(), crlf: fc.boolean() })
  .map((p) => ([p.header ? '---\n# a plan' : '', `plan: ${p.name}`, p.defaults ?? '', 'packages:', ...p.packages].join('\n') + '\n').replace(/\n/g, p.crlf ? '\r\n' : '\n'));

describe('the quick YAML reader agrees with the full parser', () => {
  it('on the example plans', async () => {
    for (const f of ['examples/map-reduce.yaml', 'examples/real-agents.yaml', 'examples/swarm-launcher.yaml']) {
      expect(await agree(await readFile(f, 'utf8'))).toBe('quick');
    }
  });

  it('on generated plans in every scalar and collection style', async () => {
    await fc.assert(
      fc.asyncProperty(planText, async (text) => {
        // Plain YAML is what the quick reader is for: it declines only what the full parser rejects.
        expect(await agree(text)).not.toBe('declined');
      }),
      { numRuns: 200 },
    );
  });

  it('never accepts what the full parser rejects: random edits to a valid plan', async () => {
    const example = await readFile('examples/swarm-launcher.yaml', 'utf8');
    const edit = fc.record({ at: fc.nat({ max: example.length }), cut: fc.nat({ max: 3 }), insert: fc.constantFrom('', ':', ': ', '-', '- ', '\t', '  ', '\n', '\n  ', '"', "'", '#', ' #', '[', ']', '{', '}', ',', '&a ', '*a', '!!str ', '|', '>', '?', '%', '@', '`', 'key: value', '\r', '\r\n', '---', '...', '\\', '{a: 1}', '[a, b]', '- - ', ': :', '!') });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant(example), planText), fc.array(edit, { minLength: 1, maxLength: 3 }), async (base, edits) => {
        let text = base;
        for (const e of edits) text = text.slice(0, Math.min(e.at, text.length)) + e.insert + text.slice(Math.min(e.at, text.length) + e.cut);
        await agree(text);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 500) },
    );
  }, 600_000);
});

describe('plans the quick reader declines still load, through the full parser', () => {
  it('anchors, aliases and tags', async () => {
    const plan = await checkText('plan: p\npackages:\n  - id: a\n    description: &d "do it"\n    permissions: !!seq [Read]\n  - id: b\n    description: *d\n    depends_on: [a]\n');
    expect(plan.packages.map((p) => [p.id, p.description, p.permissions])).toEqual([['a', 'do it', ['Read']], ['b', 'do it', expect.any(Array)]]);
  });

  it('an error in a plain plan is reported with the full parser\'s line and field', async () => {
    const err = await checkText('plan: p\npackages:\n  - id: a\n    description: x\n    priority: urgent\n').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe('plan.yaml:5: priority: "urgent" is not one of critical, high, medium, low');
    await expect(planCheck({ file: 'examples/swarm-launcher.yaml' })).resolves.toBeDefined();
  });
});
