/**
 * The typed form of a plan after parsing and validation: defaults resolved and applied, durations
 * in milliseconds, sizes in bytes. Field names are camelCase here and snake_case in YAML; the
 * source maps keep the YAML names because error messages quote what the user wrote.
 */

import { TASK_TYPES, type Priority, type TaskType } from '../bus/index.js';

/** A package becomes a task of the same type: one list for both. */
export const PACKAGE_TYPES = TASK_TYPES;
export type PackageType = TaskType;

/** The bus's priorities, so a package's priority is stored as is. */
export { PRIORITIES, type Priority } from '../bus/index.js';

export const STRATEGIES = ['parallel', 'sequential', 'auto', 'adaptive'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const SCOPE_POLICIES = ['enforce', 'warn', 'off'] as const;
export type ScopePolicyName = (typeof SCOPE_POLICIES)[number];

export const FAILURE_POLICIES = ['cancel', 'keep'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

export const MODES = ['headless', 'interactive'] as const;
export type Mode = (typeof MODES)[number];

/**
 * What a scripted agent does. `fail-and-linger` and `complete-and-linger` end their task through the
 * bus and then keep running, ignoring SIGTERM: an agent that does not exit when its work is over.
 */
export const SCRIPT_BEHAVIOURS = ['complete', 'fail', 'hang', 'crash', 'slow', 'conflict-edit', 'exceed-memory', 'fail-and-linger', 'complete-and-linger'] as const;
export type ScriptBehaviour = (typeof SCRIPT_BEHAVIOURS)[number];

/** What a merge conflict becomes: another attempt that resolves it (`fix`), or the task's failure. */
export const CONFLICT_POLICIES = ['fix', 'fail'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

/** Whether packages whose inputs.files can touch the same files may run at once. */
export const OVERLAP_POLICIES = ['avoid', 'allow'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/**
 * When the verify commands run: after every merge, or once per batch of merges that completed
 * while the previous verify ran (a failed batch is undone and its merges verified one by one).
 */
export const VERIFY_CADENCES = ['merge', 'batch'] as const;
export type VerifyCadence = (typeof VERIFY_CADENCES)[number];

export const SUSTAINED_DANGER_ACTIONS = ['pause', 'requeue'] as const;
export type SustainedDangerAction = (typeof SUSTAINED_DANGER_ACTIONS)[number];

export const DEFAULT_HARNESSES: readonly string[] = ['claude', 'codex', 'shell', 'script', 'generic'];

/** Where something was written: a path as shown to the user and a 1-based line. */
export interface SourceRef {
  file: string;
  line: number;
}

/** A package's own location plus the line of each field it set (keyed by YAML name, nested as `script.writes`). */
export interface PackageSource extends SourceRef {
  fields: Record<string, number>;
}

/** Input of the scripted test agent: what it does, which files it writes, how long it takes. */
export interface ScriptSpec {
  behaviour: ScriptBehaviour;
  /** Path relative to the worktree root → file content. */
  writes: Record<string, string>;
  durationMs?: number;
  memoryBytes?: number;
  exitCode?: number;
  /** The behaviour holds on attempts up to this one; later attempts complete (a crash that a retry fixes). */
  untilAttempt?: number;
  /**
   * An absolute path: the agent works (reporting progress) until the file exists, then goes on.
   * Tests use it to hold an agent at a known point instead of guessing how long the machine takes.
   */
  waitFor?: string;
  /** What attempts after untilAttempt write instead of `writes` (default: the same). */
  laterWrites?: Record<string, string>;
  /** Paths the agent says it changed on top of what it wrote (a false claim, for tests). */
  claims?: string[];
}

export interface Package {
  id: string;
  type: PackageType;
  description: string;
  dependsOn: string[];
  priority: Priority;
  /** Only what the plan says; a scheduler fills the gaps with `resolveEstimates`. */
  estimateMs?: number;
  inputs: { files: string[]; context?: string };
  outputs: { expected?: string; reportTo?: string };
  constraints: string[];
  permissions: string[];
  harness: string;
  run?: string;
  script?: ScriptSpec;
  timeoutMs: number;
  idleTimeoutMs: number;
  maxAttempts: number;
  memoryLimitBytes?: number;
  mode: Mode;
  env: Record<string, string>;
  model?: string;
  /**
   * Commands that must pass in the integration worktree after this package's merge (the plan's
   * unless set). Optional, like onConflict: packages stored before these fields existed lack them.
   */
  verify?: string[];
  onConflict?: ConflictPolicy;
  source: PackageSource;
}

export interface ResourceThresholds {
  cpuWarning: number;
  cpuDanger: number;
  memWarning: number;
  memDanger: number;
  cooldownMs: number;
  sustainedMs: number;
  onSustainedDanger: SustainedDangerAction;
}

export interface PlanDefaults {
  harness: string;
  maxAgents: number;
  strategy: Strategy;
  maxAttempts: number;
  timeoutMs: number;
  idleTimeoutMs: number;
  scope: ScopePolicyName;
  onFailure: FailurePolicy;
  retryBackoffMs: number;
  base?: string;
  setup: { include: string[]; command?: string };
  budget: { costUsd?: number; wallMs?: number };
  resources: ResourceThresholds;
  integrate: boolean;
  memoryLimitBytes?: number;
  permissions: string[];
  mode: Mode;
  model?: string;
  env: Record<string, string>;
  /** Bounds on what a task may change: a file bigger than fileSizeBytes fails its collection. */
  limits: { fileSizeBytes: number };
  /** The verify gate: commands run in the integration worktree; a failure reverts the merge. */
  verify: string[];
  verifyAfter: VerifyCadence;
  verifyTimeoutMs: number;
  onConflict: ConflictPolicy;
  overlap: OverlapPolicy;
}

/** Where a plan came from; `planner`: an agent's spawn_parallel_tasks calls, grown one batch at a time. */
export type PlanKind = 'plan' | 'package' | 'directory' | 'planner';

export interface Plan {
  name: string;
  /** What was given: a plan file, a single package file or a directory (absolute path). */
  source: string;
  kind: PlanKind;
  defaults: PlanDefaults;
  /** Line of each defaults field that was set, for messages about them later. */
  defaultsSource?: PackageSource;
  packages: Package[];
}
