import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { resolveScope, type Instance, type Store } from '../bus/index.js';
import { DaedalusError, describeError } from '../common/index.js';
import { DEFAULT_OPTIONS, newSession, type Identity, type McpContext, type McpOptions } from './context.js';
import { startHeldLease } from './leases.js';
import { silentLogger, type Logger } from './log.js';

export interface ContextInput {
  store: Store;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  options?: Partial<McpOptions>;
  log?: Logger;
  now?: () => number;
  pid?: number;
  host?: string;
}

function gitToplevel(cwd: string): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out === '' ? null : out;
  } catch {
    return null;
  }
}

function envMs(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Builds the context of one server from the environment the supervisor (or the user) gave it,
 * and adopts DAEDALUS_INSTANCE_ID when set. Never throws for identity problems: the server must
 * come up and say what went wrong on the first tool call instead of dying silently under the
 * agent CLI.
 */
export async function createContext(input: ContextInput): Promise<McpContext> {
  const env = input.env ?? process.env;
  const cwd = resolve(input.cwd ?? process.cwd());
  const fromEnv = envMs(env, 'DAEDALUS_LEASE_MS');
  const ctx: McpContext = {
    store: input.store,
    scope: resolveScope(cwd, env),
    fileRoot: env.DAEDALUS_FILE_ROOT?.trim() ? resolve(cwd, env.DAEDALUS_FILE_ROOT.trim()) : (gitToplevel(cwd) ?? cwd),
    fileRootFromEnv: Boolean(env.DAEDALUS_FILE_ROOT?.trim()),
    defaultRole: env.DAEDALUS_ROLE?.trim() || 'worker',
    runId: env.DAEDALUS_RUN_ID?.trim() || null,
    startedFor: env.DAEDALUS_INSTANCE_ID?.trim() ? { instanceId: env.DAEDALUS_INSTANCE_ID.trim(), taskId: env.DAEDALUS_TASK_ID?.trim() || null } : null,
    pid: input.pid ?? process.pid,
    host: input.host ?? hostname(),
    session: newSession(),
    options: { ...DEFAULT_OPTIONS, ...(fromEnv ? { leaseMs: fromEnv } : {}), ...input.options },
    now: input.now ?? Date.now,
    log: input.log ?? silentLogger,
  };
  const instanceId = env.DAEDALUS_INSTANCE_ID?.trim();
  if (instanceId) {
    ctx.session.pendingAdoption = { instanceId, reason: 'not adopted yet' };
    await tryAdopt(ctx);
    const taskId = env.DAEDALUS_TASK_ID?.trim();
    const token = env.DAEDALUS_LEASE_TOKEN?.trim();
    if (taskId && token) await takeOverLease(ctx, taskId, token);
    else if (taskId || token) ctx.log.warn('DAEDALUS_TASK_ID and DAEDALUS_LEASE_TOKEN come as a pair; ignoring the one given');
  }
  return ctx;
}

/** Sets the identity and starts the activity cursor now, so the first wait does not replay history. */
async function becomeInstance(ctx: McpContext, inst: Instance, adopted: boolean): Promise<Identity> {
  const identity: Identity = {
    id: inst.id,
    role: inst.role,
    label: inst.label,
    scope: inst.scope,
    // The supervisor recorded the agent's worktree on the reservation; an explicit env root still wins.
    fileRoot: adopted && inst.fileRoot && !ctx.fileRootFromEnv ? inst.fileRoot : ctx.fileRoot,
    adopted,
  };
  ctx.session.identity = identity;
  ctx.session.lostReason = null;
  ctx.session.cursor = await ctx.store.lastEventId(inst.scope);
  return identity;
}

/** Adopts the reserved instance; on failure keeps it pending so a later call retries (an old server may still look live). */
export async function tryAdopt(ctx: McpContext): Promise<Identity | null> {
  const pending = ctx.session.pendingAdoption;
  if (!pending) return ctx.session.identity;
  try {
    const inst = await ctx.store.adoptInstance(pending.instanceId, { pid: ctx.pid, host: ctx.host });
    if (inst.scope !== ctx.scope) ctx.log.warn(`instance ${inst.id} belongs to scope ${inst.scope}, not ${ctx.scope}; using the instance's scope`);
    ctx.session.pendingAdoption = null;
    const identity = await becomeInstance(ctx, inst, true);
    ctx.log.info(`adopted instance ${inst.id} (${inst.role}) in ${inst.scope}`);
    return identity;
  } catch (e) {
    const reason = describeError(e);
    // Retried every heartbeat: say it once per distinct reason.
    if (reason !== pending.reason) ctx.log.warn(`cannot adopt instance ${pending.instanceId}: ${reason}`);
    pending.reason = reason;
    return null;
  }
}

async function takeOverLease(ctx: McpContext, taskId: string, token: string): Promise<void> {
  if (!ctx.session.identity) {
    ctx.session.notices.push(`task ${taskId} was handed to instance ${ctx.session.pendingAdoption?.instanceId ?? '?'}, which is not adopted yet`);
  }
  await startHeldLease(ctx, taskId, token);
}

/** The `register` tool: a hand-started agent joins the bus; this server owns the instance's life. */
export async function registerHere(ctx: McpContext, role: string, label: string): Promise<Identity> {
  const inst = await ctx.store.registerInstance({
    scope: ctx.scope,
    role,
    label,
    pid: ctx.pid,
    host: ctx.host,
    fileRoot: ctx.fileRoot,
  });
  ctx.log.info(`registered instance ${inst.id} (${role}) in ${inst.scope}`);
  return becomeInstance(ctx, inst, false);
}

/** What an agent whose instance is gone should do: rejoin, unless Daedalus started it (then it is pinned to that instance). */
export function rejoinHint(ctx: McpContext): string {
  return ctx.startedFor
    ? 'stop working: an agent started by Daedalus cannot join again as another instance; the supervisor decides whether its task runs again'
    : 'call register first to rejoin; your old task leases were released';
}

/** The identity for a tool that needs one: retries a pending adoption, else NOT_REGISTERED with the reason. */
export async function requireIdentity(ctx: McpContext): Promise<Identity> {
  const s = ctx.session;
  if (s.identity) return s.identity;
  if (s.pendingAdoption) {
    const adopted = await tryAdopt(ctx);
    if (adopted) return adopted;
    throw new DaedalusError(
      'NOT_REGISTERED',
      `instance ${s.pendingAdoption.instanceId} from DAEDALUS_INSTANCE_ID is not adopted yet: ${s.pendingAdoption.reason}`,
      'retry in a few seconds; if it persists, stop: the supervisor notices an agent that never joined',
    );
  }
  if (s.lostReason) throw new DaedalusError('NOT_REGISTERED', `this session's instance is gone: ${s.lostReason}`, rejoinHint(ctx));
  if (ctx.startedFor) {
    throw new DaedalusError('NOT_REGISTERED', `this session's instance ${ctx.startedFor.instanceId} left the bus`, rejoinHint(ctx));
  }
  throw new DaedalusError('NOT_REGISTERED', 'this session has no instance on the bus yet', 'call register first (role, label)');
}

/**
 * Forgets the instance and everything held through it. With a reason, the instance was declared
 * gone under us (silent too long, or deregistered by someone else) and the next call says so.
 */
export function forgetIdentity(ctx: McpContext, lostReason: string | null): void {
  const s = ctx.session;
  if (!s.identity) return;
  s.lostReason = lostReason === null ? null : `${s.identity.id}: ${lostReason}`;
  s.identity = null;
  s.leases.clear();
  s.currentTaskId = null;
  s.taskRelevance.clear();
  s.awaitedLocks.clear();
  s.createdReady.clear();
}
