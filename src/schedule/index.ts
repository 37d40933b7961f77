/**
 * Scheduling, the pure parts: dispatch keys (priority class + upward rank) for the bus's claim
 * order, a discrete-event simulator to compare policies, concurrency strategies, and `plan show`.
 */
export type { DispatchKey, RankNode } from './ranks.js';
export { PRIORITY_CLASS, computeRanks, dispatchKeys, downstreamWork, inheritedPriorities } from './ranks.js';
export type { SimOptions, SimPolicy, SimResult, SimSlot, SimTask } from './simulate.js';
export { SIM_POLICIES, simulate } from './simulate.js';
export type { AdaptiveOptions, Concurrency, HistoryEntry } from './strategy.js';
export { STRATEGY_INFO, concurrencyFor, historyEstimates, historyFallback, mayStart } from './strategy.js';
export type { PlanReport, PlanReportPackage, PlanShowOptions } from './show.js';
export { formatPlanReport, planReport, planShow } from './show.js';
export type { AdaptiveInput, TypeKnowledge } from './adaptive.js';
export { applyLearnings, learnedEstimates, summariseLearnings } from './adaptive.js';
