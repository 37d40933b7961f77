/**
 * glibc's malloc gives every thread that allocates an arena of its own, up to eight per core, and
 * keeps what it freed there for reuse instead of returning it. Node's background threads (V8's
 * compiler and GC helpers, libuv's pool) allocate and free in bursts, so a long-lived supervisor
 * grows by the fragments left in those arenas while V8's heap stays flat: measured on a 1,600-task
 * plan, 98 MB at the end against 84 MB with two arenas. glibc reads MALLOC_ARENA_MAX only when the
 * process starts, so the bin sets it before Node runs (its first lines are a shell preamble,
 * written by scripts/after-build.mjs), and the detached worker, which is started without the bin,
 * is given it. The setting is for Daedalus's own processes: agents, git and the user's commands do
 * not inherit it unless the user set it.
 */
const ARENA_VAR = 'MALLOC_ARENA_MAX';
/** Present when Daedalus, not the user, set MALLOC_ARENA_MAX for this process. */
const ARENA_MARK = 'DAEDALUS_SET_MALLOC_ARENA_MAX';
const SUPERVISOR_ARENAS = '2';

/** env for a long-lived Daedalus process: two malloc arenas unless the user chose a number. */
export function withFewArenas(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env[ARENA_VAR]) return env;
  return { ...env, [ARENA_VAR]: SUPERVISOR_ARENAS, [ARENA_MARK]: '1' };
}

/** Called before any command runs (malloc has read the setting by then), so children need not inherit it. */
export function dropOwnArenaSetting(env: NodeJS.ProcessEnv = process.env): void {
  if (!env[ARENA_MARK]) return;
  delete env[ARENA_VAR];
  delete env[ARENA_MARK];
}

/**
 * The bin's first two lines, replacing `#!/usr/bin/env node`. To sh, the second line is the no-op
 * `:` then an exec of node on this same file (same pid); to JavaScript it is a string and a comment.
 */
export const BIN_PREAMBLE = [
  '#!/bin/sh',
  `':' //; [ -n "$${ARENA_VAR}" ] || export ${ARENA_VAR}=${SUPERVISOR_ARENAS} ${ARENA_MARK}=1; exec node "$0" "$@"`,
].join('\n');
