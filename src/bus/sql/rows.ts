import type { Annotation, AnnotationKind, AttemptOutcomeKind, BusEvent, DependentsPolicy, EventType, FailureKind, HistoryEntry, Instance, InstanceStatus, Json, KvEntry, Lock, Message, Priority, Task, TaskState } from '../types.js';
import type { Row } from './driver.js';

/** Rows come back snake_case with JSON as text; these turn them into domain objects. */

const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function parseJson(v: unknown): Json {
  if (v === null || v === undefined) return null;
  return JSON.parse(String(v)) as Json;
}

export const toJson = (v: Json | undefined): string => JSON.stringify(v ?? null);

export function rowToInstance(r: Row): Instance {
  return {
    id: str(r.id),
    scope: str(r.scope),
    role: str(r.role),
    label: str(r.label),
    status: str(r.status) as InstanceStatus,
    adopted: num(r.adopted) === 1,
    pid: numOrNull(r.pid),
    host: strOrNull(r.host),
    fileRoot: strOrNull(r.file_root),
    reservedBy: strOrNull(r.reserved_by),
    leaseUntil: numOrNull(r.lease_until),
    taskId: strOrNull(r.task_id),
    heartbeatAt: num(r.heartbeat_at),
    registeredAt: num(r.registered_at),
    meta: parseJson(r.meta),
  };
}

export function rowToTask(r: Row, dependsOn: string[]): Task {
  return {
    id: str(r.id),
    scope: str(r.scope),
    runId: strOrNull(r.run_id),
    key: strOrNull(r.key),
    type: str(r.type),
    title: str(r.title),
    description: str(r.description),
    payload: parseJson(r.payload),
    state: str(r.state) as TaskState,
    priority: str(r.priority) as Priority,
    rank: num(r.rank),
    estimateMs: numOrNull(r.estimate_ms),
    attempt: num(r.attempt),
    maxAttempts: num(r.max_attempts),
    dependentsPolicy: str(r.dependents_policy) as DependentsPolicy,
    integrate: num(r.integrate) === 1,
    assignee: strOrNull(r.assignee),
    leaseOwner: strOrNull(r.lease_owner),
    leaseUntil: numOrNull(r.lease_until),
    notBefore: numOrNull(r.not_before),
    progress: strOrNull(r.progress),
    result: parseJson(r.result),
    error: strOrNull(r.error),
    // Rows are written by this code only, so the stored kind is one of ours.
    failureKind: strOrNull(r.failure_kind) as FailureKind | null,
    idempotencyKey: strOrNull(r.idempotency_key),
    createdBy: strOrNull(r.created_by),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    startedAt: numOrNull(r.started_at),
    finishedAt: numOrNull(r.finished_at),
    process:
      r.proc_pgid === null || r.proc_pgid === undefined
        ? null
        : { pgid: num(r.proc_pgid), host: str(r.proc_host), owner: str(r.proc_owner), attempt: num(r.proc_attempt) },
    dependsOn,
  };
}

export function rowToMessage(r: Row): Message {
  return {
    id: num(r.id),
    scope: str(r.scope),
    from: str(r.from_id),
    to: str(r.to_id),
    kind: str(r.kind),
    body: str(r.body),
    taskId: strOrNull(r.task_id),
    data: parseJson(r.data),
    at: num(r.at),
  };
}

export function rowToLock(r: Row): Lock {
  return {
    scope: str(r.scope),
    path: str(r.path),
    owner: str(r.owner),
    taskId: strOrNull(r.task_id),
    reason: str(r.reason),
    acquiredAt: num(r.acquired_at),
    expiresAt: num(r.expires_at),
  };
}

export function rowToKv(r: Row): KvEntry {
  return {
    key: str(r.key),
    value: parseJson(r.value),
    version: num(r.version),
    updatedBy: strOrNull(r.updated_by),
    updatedAt: num(r.updated_at),
    expiresAt: numOrNull(r.expires_at),
  };
}

export function rowToAnnotation(r: Row): Annotation {
  return {
    id: num(r.id),
    scope: str(r.scope),
    file: str(r.file),
    line: numOrNull(r.line),
    kind: str(r.kind) as AnnotationKind,
    text: str(r.text),
    by: strOrNull(r.by_id),
    taskId: strOrNull(r.task_id),
    at: num(r.at),
  };
}

export function rowToEvent(r: Row): BusEvent {
  return {
    id: num(r.id),
    scope: str(r.scope),
    type: str(r.type) as EventType,
    at: num(r.at),
    taskId: strOrNull(r.task_id),
    instanceId: strOrNull(r.instance_id),
    runId: strOrNull(r.run_id),
    data: parseJson(r.data),
  } as BusEvent;
}

export function rowToHistory(r: Row): HistoryEntry {
  return {
    scope: str(r.scope),
    type: str(r.type),
    taskId: strOrNull(r.task_id),
    runId: strOrNull(r.run_id),
    attempt: numOrNull(r.attempt),
    outcome: str(r.outcome) as AttemptOutcomeKind,
    durationMs: num(r.duration_ms),
    peakRssBytes: numOrNull(r.peak_rss_bytes),
    cpuMs: numOrNull(r.cpu_ms),
    costUsd: numOrNull(r.cost_usd),
    inputTokens: numOrNull(r.input_tokens),
    outputTokens: numOrNull(r.output_tokens),
    model: strOrNull(r.model),
    at: num(r.at),
  };
}
