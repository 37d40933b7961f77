/**
 * What governs a run, kept on the bus where no agent tool writes: its record (plan, permission
 * policies, repository, bound by a digest keyed off the bus), and recording packages as its tasks.
 */
export { createRunRecord, listRunRecords, loadRunForResume, loadRunRecord, newRunId, saveRunRecord, type RunRecord } from './run-record.js';
export { checkRunDigest, runDigest, type DigestInput } from './digest.js';
export { recordRunTasks, taskIdFor } from './run-tasks.js';
export { plannerRunId, spawnTasks, type SpawnInput, type SpawnResult, type TaskSpec } from './planner-run.js';
export { EXECUTOR_ROLE, liveExecutors } from './executors.js';
export { submitPlan, type SubmitPlanInput } from './submitted-plan.js';
