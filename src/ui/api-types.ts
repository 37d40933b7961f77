/**
 * What the dashboard's JSON API answers, shared by the server and the page (type-only: the page's
 * bundle imports nothing from the server side).
 */
import type { Annotation, BusEvent, Instance, KvEntry, Lock, Message, RunPause, Task, TaskState } from '../bus/index.js';
import type { SoakMetrics } from './metrics.js';

export type { Annotation, BusEvent, Instance, KvEntry, Lock, Message, RunPause, SoakMetrics, Task, TaskState };

export interface RunSummary {
  runId: string;
  plan: string;
  status: string;
  startedAt: number;
  finishedAt: number | null;
  maxAgents: number;
  counts: Record<TaskState, number>;
  total: number;
  costUsd: number;
  /** Task time over wall time so far: how many agents' worth of work ran in parallel. */
  speedup: number | null;
  paused: boolean;
  /** Whether the supervisor that last drove it is still on the bus. */
  supervised: boolean;
}

export interface Overview {
  scope: string;
  bus: string;
  user: string;
  lastEventId: number;
  runs: RunSummary[];
  tasksByState: Record<TaskState, number>;
  instances: number;
  pendingApprovals: number;
  pauses: RunPause[];
}

/** A task as the DAG draws it. */
export interface DagTask {
  id: string;
  key: string | null;
  title: string;
  state: TaskState;
  type: string;
  attempt: number;
  maxAttempts: number;
  dependsOn: string[];
  startedAt: number | null;
  finishedAt: number | null;
  progress: string | null;
  failureKind: string | null;
}

export interface RunDetail {
  summary: RunSummary;
  tasks: DagTask[];
  /** Task ids of the longest chain by actual (else estimated) durations. */
  criticalPath: string[];
  /** The last event id before the tasks were read: later events may not be reflected yet. */
  eventId: number;
}

export interface GanttBar {
  taskId: string;
  key: string | null;
  attempt: number;
  start: number;
  end: number | null;
  /** done, running, integrating, retry:KIND, failed:KIND, cancelled, yielded. */
  outcome: string;
}

export interface GanttLane {
  owner: string;
  label: string;
  bars: GanttBar[];
}

export interface Gantt {
  start: number | null;
  end: number;
  lanes: GanttLane[];
}

export interface AttemptInfo {
  attempt: number;
  owner: string | null;
  leasedAt: number;
  runningAt: number | null;
  endedAt: number | null;
  outcome: string;
  reason: string | null;
  /** Whether its output.log is on this machine. */
  hasOutput: boolean;
}

export interface TaskDetail {
  task: Task;
  attempts: AttemptInfo[];
  events: BusEvent[];
}

export interface ApprovalView {
  id: string;
  status: string;
  tool: string;
  summary: string;
  taskId: string | null;
  runId: string | null;
  instanceId: string | null;
  requestedAt: number;
  expiresAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  message: string | null;
}

export interface InstanceView extends Instance {
  /** What the page shows: the bus status, `reserved` before adoption, `intercepted` while a permission request of it waits for a person. */
  shownStatus: string;
}

export interface ResourceSample {
  at: number;
  cpuPercent: number;
  memoryPercent: number;
  zone: string;
  running: number;
}

export interface Resources {
  samples: ResourceSample[];
  thresholds: { cpu: { warning: number; danger: number }; memory: { warning: number; danger: number } };
  decisions: BusEvent[];
}

export interface OutputTail {
  attempt: number;
  size: number;
  text: string;
  exists: boolean;
}

export interface ApiError {
  error: { code: string; message: string; hint?: string };
}
