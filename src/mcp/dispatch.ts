import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { DaedalusError, describeError, isDaedalusError } from '../common/index.js';
import type { Identity, McpContext } from './context.js';
import { requireIdentity } from './identity.js';
import { renewHeld } from './leases.js';
import { access, refusalHint, type ToolName } from './policy.js';
import { errorResult, okResult } from './result.js';
import type { AnyTool, Extra } from './tool.js';

const KiB = (n: number) => `${Math.round(n / 1024)} KiB`;

function byteSize(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  return Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');
}

/** Caps each value (each element of an array argument) and the whole call, before anything is parsed further. */
function checkSizes(ctx: McpContext, tool: ToolName, args: unknown): void {
  const { maxValueBytes, maxRequestBytes } = ctx.options;
  const total = byteSize(args ?? {});
  if (total > maxRequestBytes) {
    throw new DaedalusError('TOO_LARGE', `the arguments of ${tool} are ${KiB(total)}; the limit is ${KiB(maxRequestBytes)} per call`, 'split the work into smaller calls, or write large content to a file and pass its path');
  }
  if (typeof args !== 'object' || args === null) return;
  for (const [name, value] of Object.entries(args)) {
    const parts = Array.isArray(value) ? value : [value];
    for (const part of parts) {
      const size = byteSize(part);
      if (size > maxValueBytes) {
        throw new DaedalusError('TOO_LARGE', `argument ${name} is ${KiB(size)}; the limit is ${KiB(maxValueBytes)} per value`, 'write large content to a file and pass its path instead');
      }
    }
  }
}

function describeIssues(error: z.ZodError): string {
  const lines = error.issues.slice(0, 5).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(arguments)'}: ${i.message}`);
  if (error.issues.length > 5) lines.push(`… ${error.issues.length - 5} more`);
  return lines.join('; ');
}

/**
 * Every tool call goes through here, so the server never dies on bad input and every failure is
 * an isError result starting with its code — schema errors included, which the SDK's high-level
 * server would report as free text without one.
 */
export class Dispatcher {
  private readonly tools = new Map<string, AnyTool>();

  constructor(private readonly ctx: McpContext) {}

  add(tools: AnyTool[]): void {
    for (const t of tools) {
      if (this.tools.has(t.name)) throw new Error(`tool ${t.name} is defined twice`);
      this.tools.set(t.name, t);
    }
  }

  list(): AnyTool[] {
    return [...this.tools.values()];
  }

  async call(name: string, args: unknown, extra: Extra): Promise<CallToolResult> {
    const ctx = this.ctx;
    try {
      const tool = this.tools.get(name);
      if (!tool) throw new DaedalusError('NOT_FOUND', `no tool named ${name}`, 'list the tools (tools/list) and use one of those names');
      checkSizes(ctx, tool.name, args);
      const parsed = tool.input.safeParse(args ?? {});
      if (!parsed.success) {
        throw new DaedalusError('INVALID_INPUT', `bad arguments for ${name}: ${describeIssues(parsed.error)}`, 'fix the arguments to match the tool input schema and call again');
      }
      let me: Identity | null = null;
      if (!tool.open) {
        me = await requireIdentity(ctx);
        if (access(me.role, tool.name) === 'no') {
          throw new DaedalusError('FORBIDDEN', `role ${me.role} may not call ${name}`, refusalHint(me.role, tool.name));
        }
      }
      // Any call from a registered agent is a sign of life, whoami included.
      if (tool.renews && ctx.session.identity) await renewHeld(ctx);
      const out = await tool.run(parsed.data, { ctx, extra }, me);
      return okResult(out, this.takeNotices());
    } catch (e) {
      if (isDaedalusError(e)) return errorResult(e, this.takeNotices());
      ctx.log.error(`tool ${name} failed unexpectedly: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return errorResult(new DaedalusError('INTERNAL', `${name} failed: ${describeError(e)}`, 'this is a Daedalus bug; retry once, then report it'), this.takeNotices());
    }
  }

  private takeNotices(): string[] {
    return this.ctx.session.notices.splice(0);
  }
}
