import type { Migration } from '../sql/migrate.js';

/** Append-only: never edit a migration that has shipped; add the next number. */
export const sqliteMigrations: readonly Migration[] = [
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
  adopted INTEGER NOT NULL,
  pid INTEGER,
  host TEXT,
  file_root TEXT,
  reserved_by TEXT,
  lease_until INTEGER,
  task_id TEXT,
  heartbeat_at INTEGER NOT NULL,
  registered_at INTEGER NOT NULL,
  msg_cursor INTEGER NOT NULL DEFAULT 0,
  joined_msg_id INTEGER NOT NULL DEFAULT 0,
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
  prio INTEGER NOT NULL,
  rank REAL NOT NULL DEFAULT 0,
  estimate_ms INTEGER,
  attempt INTEGER NOT NULL DEFAULT 1,
  max_attempts INTEGER NOT NULL,
  dependents_policy TEXT NOT NULL,
  integrate INTEGER NOT NULL,
  assignee TEXT,
  lease_owner TEXT,
  lease_token TEXT,
  lease_until INTEGER,
  not_before INTEGER,
  progress TEXT,
  result TEXT NOT NULL DEFAULT 'null',
  error TEXT,
  failure_kind TEXT,
  idempotency_key TEXT,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  pending_deps INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX tasks_idempotency ON tasks (scope, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Partial indexes hold only the rows a hot query looks for, so a state change rewrites few pages.
CREATE INDEX tasks_claim ON tasks (scope, prio, rank DESC, created_at, id) WHERE state = 'ready';
CREATE INDEX tasks_lease ON tasks (lease_until) WHERE state IN ('leased', 'running');
CREATE INDEX tasks_scope ON tasks (scope, created_at);
CREATE INDEX tasks_run ON tasks (run_id);
-- No index on lease_owner: an owner's held tasks are found through tasks_lease, which holds only
-- the few tasks that are leased or running.

CREATE TABLE task_deps (
  task_id TEXT NOT NULL,
  depends_on TEXT NOT NULL,
  PRIMARY KEY (task_id, depends_on)
);
CREATE INDEX task_deps_reverse ON task_deps (depends_on);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  from_id TEXT NOT NULL,
  to_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  task_id TEXT,
  data TEXT NOT NULL DEFAULT 'null',
  at INTEGER NOT NULL
);
CREATE INDEX messages_scope ON messages (scope, id);

CREATE TABLE locks (
  scope TEXT NOT NULL,
  path TEXT NOT NULL,
  owner TEXT NOT NULL,
  task_id TEXT,
  reason TEXT NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (scope, path)
);
CREATE INDEX locks_owner ON locks (owner);
CREATE INDEX locks_task ON locks (task_id);

CREATE TABLE kv (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_by TEXT,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (scope, key)
);

CREATE TABLE annotations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  file TEXT NOT NULL,
  line INTEGER,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  by_id TEXT,
  task_id TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX annotations_file ON annotations (scope, file);

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  task_id TEXT,
  instance_id TEXT,
  run_id TEXT,
  data TEXT NOT NULL
);
-- No scope index: readers scan forward from their cursor by id, and appending an event must stay
-- one page write, because every transaction appends one.

CREATE TABLE history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  type TEXT NOT NULL,
  task_id TEXT,
  run_id TEXT,
  outcome TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  peak_rss_bytes INTEGER,
  cpu_ms INTEGER,
  at INTEGER NOT NULL
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
ALTER TABLE tasks ADD COLUMN proc_pgid INTEGER;
ALTER TABLE tasks ADD COLUMN proc_host TEXT;
ALTER TABLE tasks ADD COLUMN proc_owner TEXT;
ALTER TABLE tasks ADD COLUMN proc_attempt INTEGER;
CREATE INDEX tasks_proc_owner ON tasks (proc_owner) WHERE proc_owner IS NOT NULL;

-- What each attempt cost and used, failed ones included.
ALTER TABLE history ADD COLUMN attempt INTEGER;
ALTER TABLE history ADD COLUMN cost_usd REAL;
ALTER TABLE history ADD COLUMN input_tokens INTEGER;
ALTER TABLE history ADD COLUMN output_tokens INTEGER;
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
  max_agents INTEGER NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  supervisor TEXT,
  supervisor_token TEXT,
  supervisor_until INTEGER,
  epoch INTEGER NOT NULL DEFAULT 0,
  supervisors TEXT NOT NULL DEFAULT '[]',
  updated_at INTEGER NOT NULL,
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
  requested_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_at INTEGER,
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
  at INTEGER NOT NULL,
  PRIMARY KEY (scope, run_id)
);
`,
  },
  {
    version: 6,
    name: 'events-without-autoincrement',
    // AUTOINCREMENT rewrites sqlite_sequence on every insert: one more page in the WAL for every
    // transaction, since every transaction appends an event. A plain INTEGER PRIMARY KEY takes the
    // largest id + 1, which keeps ids increasing because events are never deleted (a pruning job
    // must keep the newest event, or readers' cursors would see ids reused).
    sql: `
CREATE TABLE events_new (
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  task_id TEXT,
  instance_id TEXT,
  run_id TEXT,
  data TEXT NOT NULL
);
INSERT INTO events_new (id, scope, type, at, task_id, instance_id, run_id, data)
  SELECT id, scope, type, at, task_id, instance_id, run_id, data FROM events ORDER BY id;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
DELETE FROM sqlite_sequence WHERE name = 'events';
`,
  },
  {
    version: 7,
    name: 'learnings',
    sql: `
-- What Daedalus learned per task type: one row per finished run (source 'run') or per planner's
-- learn_parallelization call (source 'planner'). The learner aggregates the newest rows.
CREATE TABLE learnings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  task_type TEXT NOT NULL,
  source TEXT NOT NULL,
  run_id TEXT,
  author TEXT,
  attempts INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  duration_ms INTEGER,
  cpu_cores REAL,
  peak_rss_bytes INTEGER,
  concurrency REAL,
  parallel_benefit REAL,
  by_concurrency TEXT,
  resource_cost TEXT,
  notes TEXT,
  at INTEGER NOT NULL
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
