/**
 * What the machine has left and what each task takes: system CPU and memory (from our cgroup's
 * budget when it has one, else the whole machine), zones, the resource gate that decides how many
 * agents may start, per-task process-tree usage, memory caps, and pausing a task's process group.
 */
export type { CpuSource, MemorySource, Sampler, SystemSample, SystemSamplerOptions } from './system.js';
export { SystemSampler } from './system.js';
export type { Thresholds, Zone, ZoneLimits, ZoneReading } from './zones.js';
export { DEFAULT_THRESHOLDS, classify, formatPercent, resolveThresholds, worseZone, zoneOf } from './zones.js';
export type { GateAction, GateDecision, GateInput, GateOptions, PriorityClass, RunningTask } from './gate.js';
export { ResourceGate, SAMPLE_PACE_MS, pauseOrder } from './gate.js';
export type { TaskUsage, TaskUsageTrackerOptions } from './process-tree.js';
export { TaskUsageTracker, scanProcesses } from './process-tree.js';
export type { CapBreach } from './memory-cap.js';
export { overMemoryCap } from './memory-cap.js';
export { groupMembers, killGroupAndWait, pauseProcessGroup, resumeProcessGroup, signalGroup } from './signals.js';
export type { SysConf } from './sysconf.js';
export { sysconf } from './sysconf.js';
export type { CgroupMembership, CpuTimes, MemInfo, MountEntry, PidStat } from './parse.js';
export {
  cpuPercentFromProcStat,
  cpuPercentFromUsage,
  parseByteLimit,
  parseCpuMax,
  parseKeyValues,
  parseMeminfo,
  parseMountinfo,
  parsePidStat,
  parseProcStat,
  parseSelfCgroup,
} from './parse.js';
