/**
 * The role an agent Daedalus started is pinned to: the one its instance was reserved with
 * (DAEDALUS_ROLE, worker by default). Null for an agent started by hand, which picks its own when
 * it registers. Kept apart so the stdio entry can read it without loading anything else.
 */
export function pinnedRole(env: NodeJS.ProcessEnv): string | null {
  return env.DAEDALUS_INSTANCE_ID?.trim() ? env.DAEDALUS_ROLE?.trim() || 'worker' : null;
}
