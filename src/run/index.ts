export { runPlan, type RunOptions, type RunResult } from './run.js';
export { runCommand, runExitCode, requirePlanOrResume, type RunCommandOptions } from './commands.js';
export { demo, type DemoOptions } from './demo.js';
export { formatReport, type RunReport, type TaskReport } from './report.js';
export { listRunRecords, loadRunRecord, type RunRecord } from './record.js';
export { taskIdFor } from './context.js';
export { listRuns } from './list.js';
