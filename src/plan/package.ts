/** One work package: its fields validated and the plan's defaults applied. */
import { isAbsolute } from 'node:path';
import { fieldsOf, isAbsent, readDuration, readEnum, readInt, readSize, readString, readStringList, readStringMap } from './fields.js';
import type { IssueList } from './issues.js';
import type { Val } from './source.js';
import { entries, items, kindOf, scalar } from './source.js';
import type { Package, PlanDefaults, ScriptSpec } from './types.js';
import { CONFLICT_POLICIES, MODES, PACKAGE_TYPES, PRIORITIES, SCRIPT_BEHAVIOURS } from './types.js';

export const PACKAGE_FIELDS = [
  'id', 'type', 'description', 'depends_on', 'priority', 'estimate', 'inputs', 'outputs', 'constraints',
  'permissions', 'harness', 'run', 'script', 'timeout', 'idle_timeout', 'max_attempts', 'memory_limit',
  'mode', 'env', 'model', 'verify', 'on_conflict',
] as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ID_HINT = 'use up to 64 letters, digits, ".", "_" and "-", starting with a letter or digit';

/** The id must name a git branch and a folder (`daedalus/<run>/<id>`), hence git's extra rules. */
export function idProblem(id: string): string | undefined {
  if (id.length > 64) return `"${id.slice(0, 20)}…" is longer than 64 characters`;
  if (!ID_PATTERN.test(id)) return `"${id}" is not a valid package id`;
  if (id.includes('..') || id.endsWith('.') || id.endsWith('.lock')) return `"${id}" cannot be a git branch name`;
  return undefined;
}

export interface PackageContext {
  defaults: PlanDefaults;
  harnesses: readonly string[];
  issues: IssueList;
}

/** `undefined` when the package has problems (they are in `ctx.issues`). */
export function readPackage(v: Val, ctx: PackageContext): Package | undefined {
  const { issues, defaults } = ctx;
  const before = issues.size;
  const f = fieldsOf(v, '', PACKAGE_FIELDS, issues, 'a package');
  if (!f) return undefined;
  const file = v.file.display;
  const fields: Record<string, number> = {};
  for (const [k, val] of f) fields[k] = val.line;

  const idVal = f.get('id');
  let id: string | undefined;
  if (isAbsent(idVal)) issues.add(file, v.line, 'id', 'missing', `give the package an id, e.g. id: my-task (${ID_HINT})`);
  else {
    id = readString(idVal, issues);
    const problem = id === undefined ? undefined : idProblem(id);
    if (problem) issues.add(file, idVal.line, 'id', problem, ID_HINT);
    else if (id?.toLowerCase() === 'integration') {
      issues.add(file, idVal.line, 'id', `"${id}" is reserved`, 'daedalus/<run>/integration is the run\'s integration branch; rename the package');
    }
  }
  const label = id ? `package "${id}"` : 'the package';

  const descVal = f.get('description');
  let description: string | undefined;
  if (isAbsent(descVal)) issues.add(file, v.line, 'description', `missing in ${label}`, 'say what the agent should do: description: "…"');
  else description = readString(descVal, issues, { nonEmpty: true });

  const opt = <T>(name: string, read: (x: Val) => T | undefined): T | undefined => {
    const x = f.get(name);
    return isAbsent(x) ? undefined : read(x);
  };

  const dependsOn = opt('depends_on', (x) => readStringList(x, issues, 'other-package-id')) ?? [];
  const type = opt('type', (x) => readEnum(x, PACKAGE_TYPES, issues)) ?? 'implementation';
  const priority = opt('priority', (x) => readEnum(x, PRIORITIES, issues)) ?? 'medium';
  const estimateMs = opt('estimate', (x) => readDuration(x, issues));
  const inputs = opt('inputs', (x) => readInputs(x, issues)) ?? { files: [] };
  const outputs = opt('outputs', (x) => readOutputs(x, issues)) ?? {};
  const constraints = opt('constraints', (x) => readStringList(x, issues, '"Don\'t touch src/db"')) ?? [];
  const permissions = opt('permissions', (x) => readStringList(x, issues, 'Read, Edit')) ?? [...defaults.permissions];
  const harness = opt('harness', (x) => readHarness(x, ctx)) ?? defaults.harness;
  const run = opt('run', (x) => readString(x, issues, { nonEmpty: true }));
  const script = opt('script', (x) => readScript(x, issues));
  const timeoutMs = opt('timeout', (x) => readDuration(x, issues, { positive: true })) ?? defaults.timeoutMs;
  const idleTimeoutMs = opt('idle_timeout', (x) => readDuration(x, issues, { positive: true })) ?? defaults.idleTimeoutMs;
  const maxAttempts = opt('max_attempts', (x) => readInt(x, issues, 1)) ?? defaults.maxAttempts;
  const memoryLimitBytes = opt('memory_limit', (x) => readSize(x, issues, { positive: true })) ?? defaults.memoryLimitBytes;
  const mode = opt('mode', (x) => readEnum(x, MODES, issues)) ?? defaults.mode;
  const env = { ...defaults.env, ...opt('env', (x) => readStringMap(x, issues)) };
  const model = opt('model', (x) => readString(x, issues, { nonEmpty: true })) ?? defaults.model;
  const verify = opt('verify', (x) => readStringList(x, issues, 'npm test')) ?? [...defaults.verify];
  const onConflict = opt('on_conflict', (x) => readEnum(x, CONFLICT_POLICIES, issues)) ?? defaults.onConflict;

  if (harness === 'shell' && run === undefined && isAbsent(f.get('run'))) {
    issues.add(file, f.get('harness')?.line ?? v.line, 'run', `missing in ${label}: the shell harness runs a command`, 'add run: "the command to execute"');
  }
  for (const [k, x] of [['inputs', f.get('inputs')], ['outputs', f.get('outputs')], ['script', f.get('script')]] as const) {
    if (x && kindOf(x) === 'mapping') for (const e of entries(x, k)) fields[e.val.field] = e.val.line;
  }
  // Each dependency's own line, so "unknown package" points at the entry in a block list.
  const depItems = f.get('depends_on') ? items(f.get('depends_on') as Val) : [];
  const uniqueDeps = [...new Set(dependsOn)];
  uniqueDeps.forEach((d, i) => (fields[`depends_on[${i}]`] = depItems[dependsOn.indexOf(d)]?.line ?? fields.depends_on ?? v.line));

  if (issues.size > before || id === undefined || description === undefined) return undefined;
  return {
    id, type, description, dependsOn: uniqueDeps, priority,
    ...(estimateMs !== undefined ? { estimateMs } : {}),
    inputs, outputs, constraints, permissions, harness,
    ...(run !== undefined ? { run } : {}),
    ...(script !== undefined ? { script } : {}),
    timeoutMs, idleTimeoutMs, maxAttempts,
    ...(memoryLimitBytes !== undefined ? { memoryLimitBytes } : {}),
    mode, env,
    ...(model !== undefined ? { model } : {}),
    verify, onConflict,
    source: { file, line: v.line, fields },
  };
}

export function readHarness(v: Val, ctx: PackageContext): string | undefined {
  const s = readString(v, ctx.issues, { nonEmpty: true });
  if (s === undefined) return undefined;
  if (ctx.harnesses.includes(s)) return s;
  ctx.issues.add(v.file.display, v.line, v.field, `unknown harness "${s}"`, suggestKnown(s, ctx.harnesses));
  return undefined;
}

function suggestKnown(s: string, known: readonly string[]): string {
  const near = known.find((k) => k.toLowerCase() === s.toLowerCase());
  return `${near ? `did you mean "${near}"? ` : ''}known harnesses: ${known.join(', ')}`;
}

function readInputs(v: Val, issues: IssueList): Package['inputs'] | undefined {
  const f = fieldsOf(v, 'inputs', ['files', 'context'], issues, 'inputs');
  if (!f) return undefined;
  const files = f.get('files');
  const context = f.get('context');
  return {
    files: (isAbsent(files) ? undefined : readStringList(files, issues, '"src/**/*.ts"')) ?? [],
    ...(isAbsent(context) ? {} : { context: readString(context, issues) ?? '' }),
  };
}

function readOutputs(v: Val, issues: IssueList): Package['outputs'] | undefined {
  const f = fieldsOf(v, 'outputs', ['expected', 'report_to'], issues, 'outputs');
  if (!f) return undefined;
  const expected = f.get('expected');
  const reportTo = f.get('report_to');
  const out: Package['outputs'] = {};
  if (!isAbsent(expected)) out.expected = readString(expected, issues) ?? '';
  if (!isAbsent(reportTo)) {
    // Relative: a file of the task's branch. Absolute: a copy outside the repository (the seeds'
    // `/tmp/icarus-results/ID.json`). A relative path that leaves the worktree is neither.
    const p = readString(reportTo, issues, { nonEmpty: true });
    const escapes = p !== undefined && !isAbsolute(p) && p.split(/[\\/]/).includes('..');
    if (escapes) issues.add(reportTo.file.display, reportTo.line, reportTo.field, `"${p}" leaves the worktree`, 'use a path relative to the worktree root (results/report.json), or an absolute path for a copy outside the repository');
    else if (p !== undefined) out.reportTo = p;
  }
  return out;
}

/** Agents write inside their worktree; an absolute or escaping path would write elsewhere. */
function pathProblem(p: string): string | undefined {
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p)) return `"${p}" is an absolute path`;
  if (p.split(/[\\/]/).includes('..')) return `"${p}" leaves the worktree`;
  return undefined;
}

const SCRIPT_FIELDS = ['behaviour', 'writes', 'later_writes', 'claims', 'duration', 'memory', 'exit_code', 'until_attempt', 'wait_for'] as const;

function readWrites(w: Val, field: string, issues: IssueList): Record<string, string> {
  const out: Record<string, string> = {};
  if (kindOf(w) !== 'mapping') {
    issues.add(w.file.display, w.line, w.field, 'expected a mapping of relative paths to file contents', `write ${field.split('.').pop()}: { "src/a.ts": "export const a = 1;\\n" }`);
    return out;
  }
  for (const { key, val } of entries(w, field)) {
    const problem = pathProblem(key) ?? (key.trim() === '' ? 'empty path' : undefined);
    if (problem) issues.add(val.file.display, val.line, field, problem, 'use a path relative to the worktree root');
    else if (kindOf(val) !== 'string') issues.add(val.file.display, val.line, field, `content of "${key}" must be a string`, 'use a block scalar: "path: |" followed by the lines');
    else out[key] = scalar(val) as string;
  }
  return out;
}

function readScript(v: Val, issues: IssueList): ScriptSpec | undefined {
  const f = fieldsOf(v, 'script', SCRIPT_FIELDS, issues, 'script');
  if (!f) return undefined;
  const get = (k: string) => {
    const x = f.get(k);
    return isAbsent(x) ? undefined : x;
  };
  const spec: ScriptSpec = { behaviour: 'complete', writes: {} };
  const b = get('behaviour');
  if (b) spec.behaviour = readEnum(b, SCRIPT_BEHAVIOURS, issues) ?? 'complete';
  const w = get('writes');
  if (w) spec.writes = readWrites(w, 'script.writes', issues);
  const lw = get('later_writes');
  if (lw) spec.laterWrites = readWrites(lw, 'script.later_writes', issues);
  const claims = get('claims');
  if (claims) spec.claims = readStringList(claims, issues, '"src/a.ts"') ?? [];
  const d = get('duration');
  if (d) spec.durationMs = readDuration(d, issues);
  const m = get('memory');
  if (m) spec.memoryBytes = readSize(m, issues);
  const e = get('exit_code');
  if (e) spec.exitCode = readInt(e, issues, 0);
  const u = get('until_attempt');
  if (u) spec.untilAttempt = readInt(u, issues, 1);
  const wf = get('wait_for');
  if (wf) {
    const path = readString(wf, issues, { nonEmpty: true });
    if (path !== undefined && !isAbsolute(path)) issues.add(wf.file.display, wf.line, wf.field, `"${path}" is not an absolute path`, 'give the absolute path of the file to wait for');
    else if (path !== undefined) spec.waitFor = path;
  }
  return spec;
}
