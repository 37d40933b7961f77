/**
 * Turns a path into a validated Plan: a plan file, a single package file, or a directory of
 * package files with an optional plan.yaml for the name and defaults.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { DaedalusError } from '../common/index.js';
import { builtinDefaults, readDefaults } from './defaults.js';
import { fieldsOf, isAbsent, readString } from './fields.js';
import { assertNoCycle, checkGraph } from './graph-check.js';
import { closest, IssueList } from './issues.js';
import type { PackageContext } from './package.js';
import { readPackage } from './package.js';
import type { Val, YamlReader } from './source.js';
import { describeKind, entries, items, kindOf, readYaml } from './source.js';
import type { Package, PackageSource, Plan, PlanDefaults, PlanKind } from './types.js';
import { DEFAULT_HARNESSES } from './types.js';

export interface LoadPlanOptions {
  /** A plan file, a package file or a directory. */
  file: string;
  /** Harness names the validator accepts; default claude, codex, shell, script, generic. */
  harnesses?: readonly string[];
  /** Base for relative paths and for the paths messages show; default process.cwd(). */
  cwd?: string;
  /** The plan's text, when it does not come from a file (an agent's submit_plan); `file` names it in messages. */
  text?: string;
}

const PLAN_FIELDS = ['plan', 'defaults', 'packages'] as const;
const PLAN_FILES = ['plan.yaml', 'plan.yml'];

interface Parts {
  name?: string;
  defaults: PlanDefaults;
  defaultsSource?: PackageSource;
  packages: Package[];
}

/**
 * Plans are read with the quick YAML reader first. A plan with any problem is read again with the
 * full parser alone, so every message and line comes from one reader whatever the file contains;
 * only invalid plans pay for the second reading.
 */
export async function loadPlan(opts: LoadPlanOptions): Promise<Plan> {
  try {
    return await loadWith(opts, 'quick');
  } catch (e) {
    if (e instanceof DaedalusError && (e.code === 'PLAN_INVALID' || e.code === 'PLAN_CYCLE')) return loadWith(opts, 'full');
    throw e;
  }
}

async function loadWith(opts: LoadPlanOptions, reader: YamlReader): Promise<Plan> {
  const cwd = opts.cwd ?? process.cwd();
  const abs = resolve(cwd, opts.file);
  const display = (p: string): string => {
    const rel = relative(cwd, p);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
  };
  const harnesses = opts.harnesses ?? DEFAULT_HARNESSES;
  const issues = new IssueList();
  const isDir = opts.text === undefined && (await stat(abs).then((s) => s.isDirectory(), () => false));

  let kind: PlanKind;
  let parts: Parts;
  if (isDir) {
    kind = 'directory';
    parts = await readDirectory(abs, display, harnesses, issues, reader);
  } else {
    const root = await readYaml(abs, opts.text === undefined ? display(abs) : opts.file, issues, reader, opts.text);
    issues.throwIfAny();
    kind = isPackageFile(root as Val) ? 'package' : 'plan';
    parts =
      kind === 'package'
        ? { defaults: builtinDefaults(), packages: [readPackage(root as Val, { defaults: builtinDefaults(), harnesses, issues })].filter((p) => p !== undefined) }
        : readPlanFile(root as Val, harnesses, issues, 'plan');
  }
  if (issues.size === 0 && parts.packages.length === 0) {
    issues.add(display(abs), 1, kind === 'directory' ? '' : 'packages', 'the plan has no packages', kind === 'directory' ? 'add one <id>.yaml file per package' : 'add at least one package under packages:');
  }
  checkGraph(parts.packages, issues);
  issues.throwIfAny();
  assertNoCycle(parts.packages);
  const fallbackName = kind === 'directory' ? basename(abs) : basename(abs, extname(abs));
  return {
    name: parts.name ?? fallbackName,
    source: abs,
    kind,
    defaults: parts.defaults,
    ...(parts.defaultsSource ? { defaultsSource: parts.defaultsSource } : {}),
    packages: parts.packages,
  };
}

/** A mapping with `id` or `description` and none of the plan keys is one package. */
function isPackageFile(root: Val): boolean {
  if (kindOf(root) !== 'mapping') return false;
  const keys = entries(root, '').map((e) => e.key);
  return !keys.some((k) => (PLAN_FIELDS as readonly string[]).includes(k)) && (keys.includes('id') || keys.includes('description'));
}

function readPlanFile(root: Val, harnesses: readonly string[], issues: IssueList, role: 'plan' | 'directory-plan'): Parts {
  const file = root.file.display;
  if (kindOf(root) !== 'mapping') {
    const hint = kindOf(root) === 'list' ? 'put the list under "packages:" and add "plan: <name>" above it' : 'write a plan (plan, defaults, packages) or a package (id, description)';
    issues.add(file, root.line, '', `expected a mapping with plan, defaults and packages, got ${describeKind(kindOf(root))}`, hint);
    return { defaults: builtinDefaults(), packages: [] };
  }
  const keys = entries(root, '').map((e) => e.key);
  if (!keys.some((k) => (PLAN_FIELDS as readonly string[]).includes(k))) {
    issues.add(file, root.line, '', 'neither a plan (no "packages:") nor a package (no "id:")', 'a plan has plan, defaults and packages; a package has id and description');
    return { defaults: builtinDefaults(), packages: [] };
  }
  const f = fieldsOf(root, '', PLAN_FIELDS, issues, 'a plan') ?? new Map<string, Val>();
  const nameVal = f.get('plan');
  const name = isAbsent(nameVal) ? undefined : readString(nameVal, issues, { nonEmpty: true });
  const defaultsVal = f.get('defaults');
  const { defaults, source } = isAbsent(defaultsVal) ? { defaults: builtinDefaults(), source: undefined } : readDefaults(defaultsVal, harnesses, issues);
  const ctx: PackageContext = { defaults, harnesses, issues };
  const packages: Package[] = [];
  const list = f.get('packages');
  if (isAbsent(list)) {
    // `package:` is already reported as an unknown field that means `packages`; once is enough.
    const misspelt = keys.some((k) => k !== 'packages' && closest(k, ['packages']) === 'packages');
    if (role === 'plan' && !misspelt) issues.add(file, root.line, 'packages', 'missing', 'list the work packages under packages:');
  } else if (kindOf(list) !== 'list') {
    issues.add(file, list.line, 'packages', `expected a list of packages, got ${describeKind(kindOf(list))}`, 'write each package as a "- id: …" item under packages:');
  } else {
    for (const item of items(list)) {
      const p = readPackage({ ...item, field: '' }, ctx);
      if (p) packages.push(p);
    }
  }
  return { ...(name !== undefined ? { name } : {}), defaults, ...(source ? { defaultsSource: source } : {}), packages };
}

async function readDirectory(dir: string, display: (p: string) => string, harnesses: readonly string[], issues: IssueList, reader: YamlReader): Promise<Parts> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const planNames = names.filter((n) => PLAN_FILES.includes(n.toLowerCase()));
  if (planNames.length > 1) issues.add(display(join(dir, planNames[1] as string)), 1, '', `both ${planNames.join(' and ')} exist`, 'keep one plan file per directory');
  let parts: Parts = { defaults: builtinDefaults(), packages: [] };
  const planName = planNames[0];
  if (planName) {
    const root = await readYaml(join(dir, planName), display(join(dir, planName)), issues, reader);
    if (root) parts = readPlanFile(root, harnesses, issues, 'directory-plan');
  }
  const ctx: PackageContext = { defaults: parts.defaults, harnesses, issues };
  for (const n of names) {
    if (PLAN_FILES.includes(n.toLowerCase())) continue;
    const root = await readYaml(join(dir, n), display(join(dir, n)), issues, reader);
    if (!root) continue;
    if (kindOf(root) === 'mapping' && !isPackageFile(root)) {
      issues.add(root.file.display, root.line, '', 'a file in a plan directory must hold one package (id, description, …)', 'move plan-wide settings to plan.yaml and give each package its own file');
      continue;
    }
    if (kindOf(root) !== 'mapping') {
      issues.add(root.file.display, root.line, '', `expected a package mapping, got ${describeKind(kindOf(root))}`, 'write the package as "id: …", "description: …" lines');
      continue;
    }
    const p = readPackage(root, ctx);
    if (p) parts.packages.push(p);
  }
  return parts;
}
