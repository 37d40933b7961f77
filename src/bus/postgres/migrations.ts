import { EVENT_ORDER_KEY } from '../sql/driver.js';
import type { Migration } from '../sql/migrate.js';
import { EVENTS_CHANNEL } from './listener.js';

/** Append-only: never edit a migration that has shipped; add the next number. */
export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'init',
    sql: `
CREATE TABLE instances (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  role TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  adopted BIGINT NOT NULL,
  pid BIGINT,
  host TEXT,
  file_root TEXT,
  reserved_by TEXT,
  lease_until BIGINT,
  task_id TEXT,
  heartbeat_at BIGINT NOT NULL,
  registered_at BIGINT NOT NULL,
  msg_cursor BIGINT NOT NULL DEFAULT 0,
  joined_msg_id BIGINT NOT NULL DEFAULT 0,
  meta TEXT NOT NULL DEFAULT 'null'
);
CREATE INDEX instances_scope ON instances (scope, status);
CREATE INDEX instances_liveness ON instances (status, heartbeat_at);

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  run_id TEXT,
  key TEXT,
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  priority TEXT NOT NULL,
  prio BIGINT NOT NULL,
  rank DOUBLE PRECISION NOT NULL DEFAULT 0,
  estimate_ms BIGINT,
  attempt BIGINT NOT NULL DEFAULT 1,
  max_attempts BIGINT NOT NULL,
  dependents_policy TEXT NOT NULL,
  integrate BIGINT NOT NULL,
  assignee TEXT,
  lease_owner TEXT,
  lease_token TEXT,
  lease_until BIGINT,
  not_before BIGINT,
  progress TEXT,
  result TEXT NOT NULL DEFAULT 'null',
  error TEXT,
  failure_kind TEXT,
  idempotency_key TEXT,
  created_by TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  pending_deps BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX tasks_idempotency ON tasks (scope, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Partial indexes hold only the rows a hot query looks for, so a state change rewrites few pages.
CREATE INDEX tasks_claim ON tasks (scope, prio, rank DESC, created_at, id) WHERE state = 'ready';
CREATE INDEX tasks_lease ON tasks (lease_until) WHERE state IN ('leased', 'running');
CREATE INDEX tasks_scope ON tasks (scope, created_at);
CREATE INDEX tasks_run ON tasks (run_id);
CREATE INDEX tasks_owner ON tasks (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE task_deps (
  task_id TEXT NOT NULL,
  depends_on TEXT NOT NULL,
  PRIMARY KEY (task_id, depends_on)
);
CREATE INDEX task_deps_reverse ON task_deps (depends_on);

CREATE TABLE messages (
  id BIGSERIAL PRIMARY KEY,
  scope TEXT NOT NULL,
  from_id TEXT NOT NULL,
  to_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  task_id TEXT,
  data TEXT NOT NULL DEFAULT 'null',
  at BIGINT NOT NULL
);
CREATE INDEX messages_scope ON messages (scope, id);

CREATE TABLE locks (
  scope TEXT NOT NULL,
  path TEXT NOT NULL,
  owner TEXT NOT NULL,
  task_id TEXT,
  reason TEXT NOT NULL,
  acquired_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (scope, path)
);
CREATE INDEX locks_owner ON locks (owner);
CREATE INDEX locks_task ON locks (task_id);

CREATE TABLE kv (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  version BIGINT NOT NULL,
  updated_by TEXT,
  updated_at BIGINT NOT NULL,
  expires_at BIGINT,
  PRIMARY KEY (scope, key)
);

CREATE TABLE annotations (
  id BIGSERIAL PRIMARY KEY,
  scope TEXT NOT NULL,
  file TEXT NOT NULL,
  line BIGINT,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  by_id TEXT,
  task_id TEXT,
  at BIGINT NOT NULL
);
CREATE INDEX annotations_file ON annotations (scope, file);

CREATE TABLE events (
  id BIGSERIAL PRIMARY KEY,
  scope TEXT NOT NULL,
  type TEXT NOT NULL,
  at BIGINT NOT NULL,
  task_id TEXT,
  instance_id TEXT,
  run_id TEXT,
  data TEXT NOT NULL
);
CREATE INDEX events_scope ON events (scope, id);

CREATE TABLE history (
  id BIGSERIAL PRIMARY KEY,
  scope TEXT NOT NULL,
  type TEXT NOT NULL,
  task_id TEXT,
  run_id TEXT,
  outcome TEXT NOT NULL,
  duration_ms BIGINT NOT NULL,
  peak_rss_bytes BIGINT,
  cpu_ms BIGINT,
  at BIGINT NOT NULL
);
CREATE INDEX history_type ON history (scope, type, id);
`,
  },
  {
    version: 2,
    name: 'attempt processes and attempt figures',
    sql: `
-- The live process group of a task's current or last attempt, recorded by the executor that
-- started it and cleared when that group is dead. A task with one recorded is not claimable, so
-- two attempts of a task never run at once, whatever killed or confused whom.
ALTER TABLE tasks ADD COLUMN proc_pgid BIGINT;
ALTER TABLE tasks ADD COLUMN proc_host TEXT;
ALTER TABLE tasks ADD COLUMN proc_owner TEXT;
ALTER TABLE tasks ADD COLUMN proc_attempt BIGINT;
CREATE INDEX tasks_proc_owner ON tasks (proc_owner) WHERE proc_owner IS NOT NULL;

-- What each attempt cost and used, failed ones included.
ALTER TABLE history ADD COLUMN attempt BIGINT;
ALTER TABLE history ADD COLUMN cost_usd DOUBLE PRECISION;
ALTER TABLE history ADD COLUMN input_tokens BIGINT;
ALTER TABLE history ADD COLUMN output_tokens BIGINT;
ALTER TABLE history ADD COLUMN model TEXT;
CREATE INDEX history_run ON history (scope, run_id);
`,
  },
  {
    version: 3,
    name: 'runs and approvals',
    // Supervisor-owned state leaves the agents' kv: no agent-facing tool writes these tables.
    sql: `
CREATE TABLE runs (
  id TEXT NOT NULL,
  scope TEXT NOT NULL,
  plan TEXT NOT NULL,
  policies TEXT NOT NULL,
  digest TEXT NOT NULL,
  repo TEXT NOT NULL,
  max_agents BIGINT NOT NULL,
  status TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  supervisor TEXT,
  supervisor_token TEXT,
  supervisor_until BIGINT,
  epoch BIGINT NOT NULL DEFAULT 0,
  supervisors TEXT NOT NULL DEFAULT '[]',
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (scope, id)
);

CREATE TABLE approvals (
  id TEXT NOT NULL,
  scope TEXT NOT NULL,
  tool TEXT NOT NULL,
  input TEXT NOT NULL,
  summary TEXT NOT NULL,
  task_id TEXT,
  run_id TEXT,
  instance_id TEXT,
  status TEXT NOT NULL,
  requested_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  decided_at BIGINT,
  decided_by TEXT,
  message TEXT,
  PRIMARY KEY (scope, id)
);
CREATE INDEX approvals_requested ON approvals (scope, requested_at);
`,
  },
  {
    version: 4,
    name: 'bus counters',
    // Bus-wide tallies kept by the processes themselves, e.g. the wake-ups only the backstop poll
    // delivered, so `daedalus bus status` can show what every process experienced.
    sql: `
CREATE TABLE bus_counters (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
`,
  },
  {
    version: 5,
    name: 'run pauses',
    sql: `
-- A pause a person put on a run ('' as run_id: every run of the scope); executors start no new agents under it.
CREATE TABLE run_pauses (
  scope TEXT NOT NULL,
  run_id TEXT NOT NULL,
  by_id TEXT,
  reason TEXT,
  at BIGINT NOT NULL,
  PRIMARY KEY (scope, run_id)
);
`,
  },
  {
    version: 6,
    name: 'complete-task-function',
    // Completing a task locks its row in one statement and does the work in the next, so that a
    // dependent created concurrently (its transaction holds that lock) is seen once it commits: one
    // statement alone would keep the snapshot from before the wait and leave that dependent blocked.
    // As a function the two statements are one round trip, with plans cached per connection, and
    // commit on the server: the event-order lock is never held while a reply travels. Same rows and
    // events as the general path (src/bus/sql/tasks-lease.ts completeTask); NULL when the token or
    // state do not fit, and the general path then explains why.
    sql: `
CREATE FUNCTION daedalus_complete_task(p_id TEXT, p_token TEXT, p_result TEXT, p_now BIGINT) RETURNS TEXT
LANGUAGE plpgsql AS $fn$
DECLARE
  done TEXT;
BEGIN
  PERFORM 1 FROM tasks WHERE id = p_id AND lease_token = p_token AND state IN ('leased', 'running') FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  WITH t AS (
    UPDATE tasks SET result = p_result, updated_at = p_now, error = NULL, failure_kind = NULL,
      state = CASE WHEN integrate = 1 THEN 'integrating' ELSE 'done' END,
      finished_at = CASE WHEN integrate = 1 THEN NULL ELSE p_now END,
      lease_until = CASE WHEN integrate = 1 THEN lease_until ELSE NULL END
    WHERE id = p_id AND lease_token = p_token AND state IN ('leased', 'running') RETURNING *
  ), l AS (
    DELETE FROM locks WHERE task_id = (SELECT id FROM t WHERE state = 'done') RETURNING *
  ), dep AS (
    UPDATE tasks d SET pending_deps = d.pending_deps - 1,
      state = CASE WHEN d.pending_deps = 1 AND d.state = 'blocked' THEN 'ready' ELSE d.state END,
      updated_at = p_now
    WHERE d.id IN (SELECT task_id FROM task_deps WHERE depends_on = (SELECT id FROM t WHERE state = 'done'))
    RETURNING d.id, d.state, d.scope, d.run_id, d.pending_deps
  ), lk AS (
    SELECT pg_advisory_xact_lock(hashtext('${EVENT_ORDER_KEY}')) AS held
  ), ev AS (
    INSERT INTO events (scope, type, at, task_id, instance_id, run_id, data)
    SELECT e.scope, e.type, p_now, e.task_id, e.instance_id, e.run_id, e.data FROM lk, (
      SELECT 1 AS ord, l.scope, 'lock.released' AS type, l.task_id, l.owner AS instance_id, NULL::text AS run_id,
             json_build_object('path', l.path, 'owner', l.owner, 'reason', 'task done')::text AS data
      FROM l
      UNION ALL
      SELECT 2, t.scope, CASE WHEN t.state = 'done' THEN 'task.done' ELSE 'task.integrating' END, t.id, t.lease_owner, t.run_id, '{}'
      FROM t
      UNION ALL
      SELECT 3, dep.scope, 'task.ready', dep.id, NULL, dep.run_id, '{}'
      FROM dep WHERE dep.state = 'ready' AND dep.pending_deps = 0
    ) AS e ORDER BY e.ord
    RETURNING id
  ), notified AS (SELECT pg_notify('${EVENTS_CHANNEL}', MAX(id)::text) FROM ev HAVING COUNT(*) > 0)
  SELECT row_to_json(x)::text INTO done FROM (
    SELECT t.*, (SELECT coalesce(json_agg(depends_on ORDER BY depends_on)::text, '[]') FROM task_deps WHERE task_id = t.id) AS deps_json,
           (SELECT count(*) FROM notified) AS notified
    FROM t
  ) AS x;
  RETURN done;
END
$fn$;
`,
  },
  {
    version: 7,
    name: 'learnings',
    sql: `
-- What Daedalus learned per task type: one row per finished run (source 'run') or per planner's
-- learn_parallelization call (source 'planner'). The learner aggregates the newest rows.
CREATE TABLE learnings (
  id BIGSERIAL PRIMARY KEY,
  scope TEXT NOT NULL,
  task_type TEXT NOT NULL,
  source TEXT NOT NULL,
  run_id TEXT,
  author TEXT,
  attempts INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  duration_ms BIGINT,
  cpu_cores DOUBLE PRECISION,
  peak_rss_bytes BIGINT,
  concurrency DOUBLE PRECISION,
  parallel_benefit DOUBLE PRECISION,
  by_concurrency TEXT,
  resource_cost TEXT,
  notes TEXT,
  at BIGINT NOT NULL
);
CREATE INDEX learnings_type ON learnings (scope, task_type, id);
`,
  },
  {
    version: 8,
    name: 'tasks-in-listing-order',
    sql: `
-- A run's tasks in listing order (created, then id) straight from the index: a page of a large run
-- is read without first sorting every task of the run by creation time and id.
DROP INDEX tasks_run;
CREATE INDEX tasks_run ON tasks (run_id, created_at, id);
`,
  },
];
