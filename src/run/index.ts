/**
 * Plan runs: a plan recorded on the bus as a run, an executor driving it to the end, the resume of
 * a run whose supervisor died, and the report.
 */
export { runPlan, type RunOptions, type RunResult } from './run.js';
export { makeDemoRepository, type DemoRepository } from './demo.js';
export { formatReport, shortDuration, type RunReport, type TaskReport } from './report.js';
export { listRunRecords, loadRunRecord, type RunRecord } from '../records/index.js';
export { Progress, type ProgressMode } from './progress.js';
export { taskIdFor } from '../executor/index.js';
export { runWorker, type WorkerOptions, type WorkerResult } from './worker.js';
