/**
 * Plans: parsing and validating plan files, package files and plan directories into a typed Plan,
 * and pure DAG analysis over packages (layers, critical path, bounds, upward ranks). `plan show`
 * needs the scheduler's simulator, so it lives in src/schedule.
 */
export type {
  ConflictPolicy,
  OverlapPolicy,
  VerifyCadence,
  FailurePolicy,
  Mode,
  Package,
  PackageSource,
  PackageType,
  Plan,
  PlanDefaults,
  PlanKind,
  Priority,
  ResourceThresholds,
  ScopePolicyName,
  ScriptBehaviour,
  ScriptSpec,
  SourceRef,
  Strategy,
  SustainedDangerAction,
} from './types.js';
export {
  CONFLICT_POLICIES,
  OVERLAP_POLICIES,
  VERIFY_CADENCES,
  DEFAULT_HARNESSES,
  FAILURE_POLICIES,
  MODES,
  PACKAGE_TYPES,
  PRIORITIES,
  SCOPE_POLICIES,
  SCRIPT_BEHAVIOURS,
  STRATEGIES,
  SUSTAINED_DANGER_ACTIONS,
} from './types.js';
export type { LoadPlanOptions } from './load.js';
export { loadPlan } from './load.js';
export type { PlanCheckOptions } from './check.js';
export { planCheck } from './check.js';
export { builtinDefaults } from './defaults.js';
export type { PlanIssue } from './issues.js';
export { formatPlanIssues, issueLine } from './issues.js';

export { parseSize } from './units.js';
export type { CriticalPath, DagAnalysis, DagIndex, DagNode, Estimates } from './dag.js';
export {
  analyzeDag,
  criticalPath,
  dagIndex,
  depths,
  estimateArray,
  findCycle,
  makespanLowerBound,
  topoLayers,
  topoOrder,
  totalWork,
  upwardRankArray,
  upwardRanks,
} from './dag.js';
export { MinHeap } from './dag-index.js';
export type { EstimateFallback, EstimateOptions, EstimateOrigin, ResolvedEstimates } from './estimates.js';
export { DEFAULT_ESTIMATE_MS, resolveEstimates } from './estimates.js';
export type { OverlapPair } from './overlap.js';
export { globsOverlap, overlappingPairs, overlapPartners } from './overlap.js';
