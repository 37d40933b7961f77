/** The plan's `defaults:` block, resolved against built-in defaults. */
import { fieldsOf, isAbsent, readBool, readDuration, readEnum, readInt, readNumber, readSize, readString, readStringList, readStringMap } from './fields.js';
import type { IssueList } from './issues.js';
import type { PackageContext } from './package.js';
import { readHarness } from './package.js';
import type { Val } from './source.js';
import type { PackageSource, PlanDefaults } from './types.js';
import { CONFLICT_POLICIES, FAILURE_POLICIES, MODES, OVERLAP_POLICIES, SCOPE_POLICIES, STRATEGIES, SUSTAINED_DANGER_ACTIONS, VERIFY_CADENCES } from './types.js';

export const DEFAULTS_FIELDS = [
  'harness', 'max_agents', 'strategy', 'max_attempts', 'timeout', 'idle_timeout', 'scope', 'on_failure',
  'retry_backoff', 'base', 'setup', 'budget', 'resources', 'integrate',
  'memory_limit', 'permissions', 'mode', 'model', 'env', 'limits', 'verify', 'verify_after', 'verify_timeout',
  'on_conflict', 'overlap',
] as const;

const RESOURCE_FIELDS = ['cpu_warning', 'cpu_danger', 'mem_warning', 'mem_danger', 'cooldown', 'sustained', 'on_sustained_danger'] as const;

export function builtinDefaults(): PlanDefaults {
  return {
    harness: 'claude',
    maxAgents: 4,
    strategy: 'auto',
    maxAttempts: 2,
    timeoutMs: 45 * 60_000,
    idleTimeoutMs: 10 * 60_000,
    scope: 'warn',
    onFailure: 'cancel',
    retryBackoffMs: 5_000,
    setup: { include: [] },
    budget: {},
    resources: { cpuWarning: 60, cpuDanger: 80, memWarning: 70, memDanger: 85, cooldownMs: 10_000, sustainedMs: 30_000, onSustainedDanger: 'pause' },
    integrate: true,
    permissions: [],
    mode: 'headless',
    env: {},
    limits: { fileSizeBytes: 50 * 1000 ** 2 },
    verify: [],
    verifyAfter: 'merge',
    verifyTimeoutMs: 20 * 60_000,
    onConflict: 'fix',
    overlap: 'avoid',
  };
}

export function readDefaults(v: Val, harnesses: readonly string[], issues: IssueList): { defaults: PlanDefaults; source: PackageSource } {
  const d = builtinDefaults();
  const source: PackageSource = { file: v.file.display, line: v.line, fields: {} };
  const f = fieldsOf(v, 'defaults', DEFAULTS_FIELDS, issues, 'defaults');
  if (!f) return { defaults: d, source };
  for (const [k, val] of f) source.fields[k] = val.line;
  const get = (k: string): Val | undefined => {
    const x = f.get(k);
    return isAbsent(x) ? undefined : x;
  };
  const ctx: PackageContext = { defaults: d, harnesses, issues };
  const set = <T>(k: string, read: (x: Val) => T | undefined, apply: (value: T) => void): void => {
    const x = get(k);
    const value = x === undefined ? undefined : read(x);
    if (value !== undefined) apply(value);
  };
  set('harness', (x) => readHarness(x, ctx), (x) => (d.harness = x));
  set('max_agents', (x) => readInt(x, issues, 1), (x) => (d.maxAgents = x));
  set('strategy', (x) => readEnum(x, STRATEGIES, issues), (x) => (d.strategy = x));
  set('max_attempts', (x) => readInt(x, issues, 1), (x) => (d.maxAttempts = x));
  set('timeout', (x) => readDuration(x, issues, { positive: true }), (x) => (d.timeoutMs = x));
  set('idle_timeout', (x) => readDuration(x, issues, { positive: true }), (x) => (d.idleTimeoutMs = x));
  set('scope', (x) => readEnum(x, SCOPE_POLICIES, issues), (x) => (d.scope = x));
  set('on_failure', (x) => readEnum(x, FAILURE_POLICIES, issues), (x) => (d.onFailure = x));
  set('retry_backoff', (x) => readDuration(x, issues), (x) => (d.retryBackoffMs = x));
  set('base', (x) => readString(x, issues, { nonEmpty: true }), (x) => (d.base = x));
  set('integrate', (x) => readBool(x, issues), (x) => (d.integrate = x));
  set('memory_limit', (x) => readSize(x, issues, { positive: true }), (x) => (d.memoryLimitBytes = x));
  set('permissions', (x) => readStringList(x, issues, 'Read, Edit'), (x) => (d.permissions = x));
  set('mode', (x) => readEnum(x, MODES, issues), (x) => (d.mode = x));
  set('model', (x) => readString(x, issues, { nonEmpty: true }), (x) => (d.model = x));
  set('env', (x) => readStringMap(x, issues), (x) => (d.env = x));
  set('verify', (x) => readStringList(x, issues, 'npm test'), (x) => (d.verify = x));
  set('verify_after', (x) => readEnum(x, VERIFY_CADENCES, issues), (x) => (d.verifyAfter = x));
  set('verify_timeout', (x) => readDuration(x, issues, { positive: true }), (x) => (d.verifyTimeoutMs = x));
  set('on_conflict', (x) => readEnum(x, CONFLICT_POLICIES, issues), (x) => (d.onConflict = x));
  set('overlap', (x) => readEnum(x, OVERLAP_POLICIES, issues), (x) => (d.overlap = x));

  const setup = get('setup');
  const sf = setup && fieldsOf(setup, 'defaults.setup', ['include', 'command'], issues, 'setup');
  if (sf) {
    const inc = sf.get('include');
    const cmd = sf.get('command');
    if (!isAbsent(inc)) d.setup.include = readStringList(inc, issues, '".env", "node_modules"') ?? [];
    if (!isAbsent(cmd)) {
      const c = readString(cmd, issues, { nonEmpty: true });
      if (c !== undefined) d.setup.command = c;
    }
  }

  const budget = get('budget');
  const bf = budget && fieldsOf(budget, 'defaults.budget', ['cost_usd', 'wall'], issues, 'budget');
  if (bf) {
    const cost = bf.get('cost_usd');
    const wall = bf.get('wall');
    if (!isAbsent(cost)) {
      const c = readNumber(cost, issues, 0);
      if (c !== undefined) d.budget.costUsd = c;
    }
    if (!isAbsent(wall)) {
      const w = readDuration(wall, issues, { positive: true });
      if (w !== undefined) d.budget.wallMs = w;
    }
  }

  const limits = get('limits');
  const lf = limits && fieldsOf(limits, 'defaults.limits', ['file_size'], issues, 'limits');
  if (lf) {
    const size = lf.get('file_size');
    if (!isAbsent(size)) d.limits.fileSizeBytes = readSize(size, issues, { positive: true }) ?? d.limits.fileSizeBytes;
  }

  const resources = get('resources');
  const rf = resources && fieldsOf(resources, 'defaults.resources', RESOURCE_FIELDS, issues, 'resources');
  if (rf) readResources(rf, d, issues);
  return { defaults: d, source };
}

function readResources(rf: Map<string, Val>, d: PlanDefaults, issues: IssueList): void {
  const r = d.resources;
  const pct = (k: string, apply: (n: number) => void): void => {
    const x = rf.get(k);
    if (isAbsent(x)) return;
    const n = readNumber(x, issues, 0, 100);
    if (n !== undefined) apply(n);
  };
  pct('cpu_warning', (n) => (r.cpuWarning = n));
  pct('cpu_danger', (n) => (r.cpuDanger = n));
  pct('mem_warning', (n) => (r.memWarning = n));
  pct('mem_danger', (n) => (r.memDanger = n));
  const cooldown = rf.get('cooldown');
  if (!isAbsent(cooldown)) r.cooldownMs = readDuration(cooldown, issues) ?? r.cooldownMs;
  const sustained = rf.get('sustained');
  if (!isAbsent(sustained)) r.sustainedMs = readDuration(sustained, issues) ?? r.sustainedMs;
  const action = rf.get('on_sustained_danger');
  if (!isAbsent(action)) r.onSustainedDanger = readEnum(action, SUSTAINED_DANGER_ACTIONS, issues) ?? r.onSustainedDanger;
  for (const [kind, warning, danger] of [['cpu', r.cpuWarning, r.cpuDanger], ['mem', r.memWarning, r.memDanger]] as const) {
    if (warning >= danger) {
      const at = rf.get(`${kind}_warning`) ?? rf.get(`${kind}_danger`);
      if (at) issues.add(at.file.display, at.line, `defaults.resources.${kind}_warning`, `warning level ${warning} is not below danger level ${danger}`, `set ${kind}_warning below ${kind}_danger`);
    }
  }
}
