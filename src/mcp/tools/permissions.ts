import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { approvalTimeoutMs, requestApproval, policyForPackage } from '../../approvals/index.js';
import { decide, describeRequest, type PermissionPolicy } from '../../approvals/index.js';
import type { Json } from '../../bus/index.js';
import { bestEffort, describeError } from '../../common/index.js';
import type { McpContext } from '../context.js';
import { renewHeld } from '../leases.js';
import { openTool, type AnyTool, type Extra } from '../tool.js';

/** The policy recorded for the task's package when its run was created: nothing the agent writes changes it. */
async function policyOf(ctx: McpContext, taskId: string | null): Promise<PermissionPolicy | null> {
  if (!taskId) return null;
  const task = await ctx.store.getTask(taskId);
  const runId = task?.runId ?? ctx.runId;
  if (!task?.key || !runId) return null;
  return policyForPackage(ctx.store, task.scope, runId, task.key);
}

/** Keeps the agent's lease (and the client's request, when it sent a progress token) alive while a person decides. */
function keepAlive(ctx: McpContext, extra: Extra): (elapsedMs: number) => Promise<void> {
  return async (elapsedMs) => {
    await bestEffort('renewing the lease while waiting for a person', renewHeld(ctx), ctx.log.warn);
    const token = extra._meta?.progressToken;
    if (token !== undefined) {
      await extra
        .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: Math.round(elapsedMs / 1000), message: 'waiting for a person to approve' } })
        .catch((e: unknown) => ctx.log.debug(`progress notification not sent: ${describeError(e)}`));
    }
  };
}

/**
 * Claude Code takes a result's structured content instead of its text blocks, and reads a
 * permission decision only from a text block: so this tool answers with the text alone.
 */
export function permissionAnswer(tool: string, result: CallToolResult): CallToolResult {
  if (tool !== 'approve_permission') return result;
  return { content: result.content.filter((c) => c.type === 'text').slice(0, 1), ...(result.isError ? { isError: true } : {}) };
}

const deny = (message: string) => ({ behavior: 'deny', message });

/**
 * Claude Code's `--permission-prompt-tool`: called with {tool_name, input, tool_use_id} for every
 * tool use its own rules do not settle; answers with one text block holding
 * {"behavior":"allow","updatedInput":…} or {"behavior":"deny","message":…}. Never an error result:
 * Claude Code cannot read one, so failures become denials that say why.
 */
export const permissionTools: AnyTool[] = [
  openTool({
    name: 'approve_permission',
    description:
      "Permission prompt for agent CLIs (Claude Code's --permission-prompt-tool): decides a tool use by the plan's allow and deny rules, " +
      'or asks a person (`daedalus approvals`) and waits for the answer. Not for agents to call themselves.',
    // Exactly what Claude Code sends (checked against 2.1.x).
    input: z.strictObject({
      tool_name: z.string().min(1).max(200),
      input: z.record(z.string(), z.unknown()),
      tool_use_id: z.string().max(200).optional(),
    }),
    renews: true,
    async run(args, { ctx, extra }) {
      const me = ctx.session.identity;
      // An agent Daedalus started is judged by the task it was started for, not by another task it
      // may have claimed since (whose package might allow more).
      const taskId = ctx.startedFor?.taskId ?? ctx.session.currentTaskId;
      const summary = describeRequest(args.tool_name, args.input);
      try {
        const policy = await policyOf(ctx, taskId);
        const verdict = policy ? decide(policy, args.tool_name, args.input, me?.fileRoot ?? ctx.fileRoot) : { decision: 'ask' as const };
        if (verdict.decision === 'allow') return { behavior: 'allow', updatedInput: args.input };
        if (verdict.decision === 'deny') return deny(`${summary} is denied by the plan's rule !${verdict.rule}. Do not retry it; find another way or fail_task if the task needs it.`);

        const scope = me?.scope ?? ctx.scope;
        const lease = taskId ? ctx.session.leases.get(taskId) : undefined;
        const decided = await requestApproval(
          ctx.store,
          scope,
          { tool: args.tool_name, input: args.input as Json, summary, taskId, runId: ctx.runId, instanceId: me?.id ?? null },
          {
            timeoutMs: approvalTimeoutMs(ctx.env),
            signal: extra.signal,
            onWaiting: keepAlive(ctx, extra),
            onPending: (r) => {
              ctx.log.info(`permission request ${r.id}: ${summary} — answer with daedalus approvals approve|deny ${r.id}`);
              if (taskId && lease) {
                void bestEffort('reporting the pending approval', ctx.store.reportProgress(taskId, lease.token, ctx.options.leaseMs, `waiting for approval ${r.id}: ${summary}`), ctx.log.warn);
              }
            },
          },
        );
        if (decided.status === 'allowed') return { behavior: 'allow', updatedInput: args.input };
        const by = decided.decidedBy ?? 'a person';
        return deny(`${summary} was denied by ${by}${decided.message ? `: ${decided.message}` : ''}`);
      } catch (e) {
        return deny(`${summary} could not be decided (${describeError(e)}); treat it as denied`);
      }
    },
  }),
];
