export { runPlan, type RunOptions, type RunResult } from './run.js';
export { runCommand, runExitCode, requirePlanOrResume, type RunCommandOptions } from '../cli/commands/run.js';
export { demo, type DemoOptions } from './demo.js';
export { formatReport, type RunReport, type TaskReport } from './report.js';
export { listRunRecords, loadRunRecord, type RunRecord } from './record.js';
export { taskIdFor } from '../executor/context.js';
export { listRuns } from '../cli/commands/runs.js';
