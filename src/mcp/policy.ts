import type { KnownRole } from '../bus/index.js';

/**
 * The one table of what each role may call. `own` means: only on a task this instance holds
 * (the tool checks the holder). The supervisor may call everything; any role not listed here gets
 * the worker column. With agents Daedalus started pinned to their role (see tools/instances.ts),
 * it binds an agent whose only way to the bus is these tools; an agent with a shell can open the
 * bus directly and is bound by nothing here (docs/security.md).
 */
export type Access = 'yes' | 'own' | 'no';

type Row = { planner: Access; worker: Access; observer: Access };

const Y = 'yes' as const;
const N = 'no' as const;

export const POLICY = {
  register: { planner: Y, worker: Y, observer: Y },
  whoami: { planner: Y, worker: Y, observer: Y },
  list_instances: { planner: Y, worker: Y, observer: Y },
  deregister: { planner: Y, worker: Y, observer: Y },

  send_message: { planner: Y, worker: Y, observer: N },
  broadcast: { planner: Y, worker: Y, observer: N },
  poll_messages: { planner: Y, worker: Y, observer: Y },
  wait_for_activity: { planner: Y, worker: Y, observer: Y },

  spawn_parallel_tasks: { planner: Y, worker: N, observer: N },
  submit_plan: { planner: Y, worker: N, observer: N },
  get_task_stats: { planner: Y, worker: Y, observer: Y },
  wait_for_tasks: { planner: Y, worker: Y, observer: Y },
  request_task: { planner: Y, worker: N, observer: N },
  request_task_batch: { planner: Y, worker: N, observer: N },
  claim_next_task: { planner: N, worker: Y, observer: N },
  claim_task: { planner: N, worker: Y, observer: N },
  report_progress: { planner: N, worker: Y, observer: N },
  complete_task: { planner: N, worker: Y, observer: N },
  fail_task: { planner: N, worker: Y, observer: N },
  cancel_task: { planner: Y, worker: 'own', observer: N },
  get_task: { planner: Y, worker: Y, observer: Y },
  list_tasks: { planner: Y, worker: Y, observer: Y },

  annotate: { planner: Y, worker: Y, observer: N },
  search_context: { planner: Y, worker: Y, observer: Y },

  lock_file: { planner: N, worker: Y, observer: N },
  unlock_file: { planner: N, worker: Y, observer: N },
  check_file: { planner: Y, worker: Y, observer: Y },

  kv_get: { planner: Y, worker: Y, observer: Y },
  kv_set: { planner: Y, worker: Y, observer: N },
  kv_append: { planner: Y, worker: Y, observer: N },
  kv_delete: { planner: Y, worker: Y, observer: N },
  kv_list: { planner: Y, worker: Y, observer: Y },

  sign_guestbook: { planner: Y, worker: Y, observer: N },
  approve_permission: { planner: Y, worker: Y, observer: N },
} as const satisfies Record<string, Row>;

export type ToolName = keyof typeof POLICY;
export const TOOL_NAMES = Object.keys(POLICY) as ToolName[];

const KNOWN: readonly KnownRole[] = ['supervisor', 'planner', 'worker', 'observer'];

/** The policy column a role string falls under. */
export function policyRole(role: string): KnownRole {
  return (KNOWN as readonly string[]).includes(role) ? (role as KnownRole) : 'worker';
}

export function access(role: string, tool: ToolName): Access {
  const r = policyRole(role);
  return r === 'supervisor' ? 'yes' : POLICY[tool][r];
}

export function allowedTools(role: string): ToolName[] {
  return TOOL_NAMES.filter((t) => access(role, t) !== 'no');
}

/** What a refused role should do instead, so the refusal is actionable. */
export function refusalHint(role: string, tool: ToolName): string {
  const r = policyRole(role);
  if (r === 'observer') return 'observers are read-only; ask a planner or worker (send_message is not available to you either)';
  if (tool === 'request_task' || tool === 'request_task_batch') return 'only planners create tasks: send_message to role:planner with what you found (or put it in complete_task follow_ups)';
  if (r === 'planner') return 'planners create, cancel and watch tasks; workers claim and do them';
  return `your role ${role} cannot call ${tool}`;
}
