import type { Annotation, Instance, KvEntry, Lock, Message, Task } from '../bus/index.js';
import { compact, iso } from './result.js';

/**
 * What agents see of bus rows: short keys, no nulls, ISO times. Listings use the short forms;
 * get_task and a claim use the full task so the worker has its whole brief.
 */

export function taskLine(t: Task) {
  return compact({
    id: t.id,
    key: t.key,
    title: t.title,
    state: t.state,
    type: t.type,
    priority: t.priority,
    attempt: t.attempt > 1 ? `${t.attempt}/${t.maxAttempts}` : null,
    owner: t.leaseOwner,
    assignee: t.assignee,
    depends_on: t.dependsOn,
    progress: t.progress,
    error: t.error,
  });
}

export function taskFull(t: Task) {
  return compact({
    ...taskLine(t),
    attempt: `${t.attempt}/${t.maxAttempts}`,
    description: t.description || null,
    payload: t.payload,
    result: t.result,
    failure_kind: t.failureKind,
    run_id: t.runId,
    integrate: t.integrate || null,
    dependents_policy: t.dependentsPolicy,
    created_by: t.createdBy,
    created_at: iso(t.createdAt),
    started_at: iso(t.startedAt),
    finished_at: iso(t.finishedAt),
    lease_until: iso(t.leaseUntil),
    not_before: iso(t.notBefore),
  });
}

export function instanceLine(i: Instance) {
  return compact({
    id: i.id,
    role: i.role,
    label: i.label || null,
    status: i.status,
    task: i.taskId,
    host: i.host,
    pid: i.pid,
    heartbeat_at: iso(i.heartbeatAt),
  });
}

export function messageLine(m: Message) {
  return compact({
    id: m.id,
    from: m.from,
    to: m.to,
    kind: m.kind === 'text' ? null : m.kind,
    body: m.body,
    task: m.taskId,
    data: m.data,
    at: iso(m.at),
  });
}

export function lockLine(l: Lock, me?: string) {
  return compact({
    path: l.path,
    owner: l.owner,
    mine: me === undefined ? null : l.owner === me,
    task: l.taskId,
    reason: l.reason || null,
    expires_at: iso(l.expiresAt),
  });
}

export function annotationLine(a: Annotation) {
  return compact({ id: a.id, file: a.file, line: a.line, kind: a.kind, text: a.text, by: a.by, task: a.taskId, at: iso(a.at) });
}

export function kvLine(e: KvEntry, withValue: boolean) {
  const line = compact({
    key: e.key,
    version: e.version,
    updated_by: e.updatedBy,
    updated_at: iso(e.updatedAt),
    expires_at: iso(e.expiresAt),
  });
  // A null value is a value here, so it is not compacted away.
  return withValue ? { ...line, value: e.value } : line;
}
