import { z } from 'zod';
import { DaedalusError } from '../../common/index.js';
import type { McpContext } from '../context.js';
import { forgetIdentity, registerHere, rejoinHint, requireIdentity } from '../identity.js';
import { allowedTools } from '../policy.js';
import { compact } from '../result.js';
import { openTool, tool, type AnyTool } from '../tool.js';
import { instanceLine } from '../views.js';

const roleName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a role is lower-case letters, digits, - or _ (e.g. worker, planner, tester)');

function whoami(ctx: McpContext) {
  const s = ctx.session;
  const me = s.identity;
  if (!me) {
    return compact({
      registered: false,
      pending_instance: s.pendingAdoption?.instanceId,
      why: s.pendingAdoption?.reason ?? s.lostReason,
      scope: ctx.scope,
      file_root: ctx.fileRoot,
      hint: ctx.startedFor && !s.pendingAdoption ? rejoinHint(ctx) : 'call register (role, label) first',
    });
  }
  return compact({
    registered: true,
    id: me.id,
    role: me.role,
    label: me.label || null,
    scope: me.scope,
    file_root: me.fileRoot,
    started_by_supervisor: me.adopted,
    current_task: s.currentTaskId,
    held_tasks: [...s.leases.keys()],
    lease_seconds: Math.round(ctx.options.leaseMs / 1000),
    tools: allowedTools(me.role),
  });
}

/**
 * `register` for an agent Daedalus started: it is its reserved instance or nothing. It may confirm
 * that identity (adopting it if that has not happened yet), never take another role, another scope
 * or a fresh instance — not even after deregistering — so a worker cannot make itself a planner
 * (and cancel others' tasks) or a supervisor.
 */
async function registerPinned(ctx: McpContext, role: string | undefined) {
  const s = ctx.session;
  const pinned = ctx.startedFor!.instanceId;
  // A pending adoption is retried; NOT_REGISTERED with its reason when it still fails.
  const me = s.identity ?? (s.pendingAdoption ? await requireIdentity(ctx) : null);
  if (!me) {
    throw new DaedalusError('FORBIDDEN', `this agent was started by Daedalus as instance ${pinned}, which has left the bus; it cannot register as another instance`, rejoinHint(ctx));
  }
  if (role !== undefined && role !== me.role) {
    throw new DaedalusError(
      'FORBIDDEN',
      `this agent was started by Daedalus as ${me.id} with role ${me.role} in ${me.scope}; its role and scope are fixed`,
      `keep working as ${me.role}; for work another role must do, send_message to role:planner`,
    );
  }
  return { ...whoami(ctx), already_registered: true };
}

export const instanceTools: AnyTool[] = [
  openTool({
    name: 'register',
    description:
      'Join the coordination bus as a new instance. Call this first when you were started by hand (whoami says registered:false). ' +
      'role: planner (creates tasks), worker (claims and does tasks), observer (read-only), or a custom role (worker rights). Returns your identity. ' +
      'An agent started by Daedalus is registered already: its instance, role and scope are fixed, and asking for another is FORBIDDEN.',
    input: z.strictObject({
      role: roleName.optional().describe('Your role; default DAEDALUS_ROLE or worker.'),
      label: z.string().max(200).optional().describe('Short free text shown to others, e.g. "origin:manual harness:claude role:worker".'),
    }),
    renews: false,
    async run(args, { ctx }) {
      if (ctx.startedFor) return registerPinned(ctx, args.role);
      const role = args.role ?? ctx.defaultRole;
      const s = ctx.session;
      if (s.identity) {
        if (role === s.identity.role) return { ...whoami(ctx), already_registered: true };
        throw new DaedalusError('INVALID_STATE', `already registered as ${s.identity.id} with role ${s.identity.role}`, 'call deregister first to rejoin with another role');
      }
      if (role === 'supervisor' && ctx.defaultRole !== 'supervisor') {
        throw new DaedalusError('FORBIDDEN', 'the supervisor role is reserved for the Daedalus supervisor', 'register as planner, worker or observer');
      }
      s.pendingAdoption = null;
      await registerHere(ctx, role, args.label ?? `origin:manual role:${role}`);
      return whoami(ctx);
    },
  }),
  openTool({
    name: 'whoami',
    description: 'Your identity on the bus: instance id, role, scope, file root, current and held tasks, and the tools your role may call.',
    input: z.strictObject({}),
    readOnly: true,
    async run(_args, { ctx }) {
      return whoami(ctx);
    },
  }),
  tool({
    name: 'list_instances',
    description: 'The live instances of this scope (agents, supervisor, observers) with role, status and current task.',
    input: z.strictObject({
      role: roleName.optional().describe('Only instances with this role.'),
      include_gone: z.boolean().optional().describe('Also list instances that left (default false).'),
    }),
    readOnly: true,
    async run(args, { ctx, me }) {
      const list = await ctx.store.listInstances(me.scope, { role: args.role, includeGone: args.include_gone ?? false });
      return { instances: list.map((i) => ({ ...instanceLine(i), ...(i.id === me.id ? { me: true } : {}) })) };
    },
  }),
  tool({
    name: 'deregister',
    description:
      'Leave the bus now. Your task leases go back to ready (another agent may take them) and your locks are released. Call it only when you stop working for good: ' +
      'an agent started by Daedalus cannot register again afterwards.',
    input: z.strictObject({ reason: z.string().max(500).optional() }),
    renews: false,
    async run(args, { ctx, me }) {
      await ctx.store.deregisterInstance(me.id, args.reason ?? 'deregistered by the agent');
      const released = [...ctx.session.leases.keys()];
      forgetIdentity(ctx, null);
      return compact({ deregistered: me.id, released_tasks: released });
    },
  }),
];
