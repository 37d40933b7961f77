import type { z } from 'zod';
import type { McpContext, Identity } from './context.js';
import type { ToolName } from './policy.js';
import type { RequestExtra } from './protocol.js';
import type { ToolOutput } from './result.js';

export type Extra = RequestExtra;

export interface Call {
  ctx: McpContext;
  extra: Extra;
}

export interface IdentifiedCall extends Call {
  me: Identity;
}

interface ToolBase<S extends z.ZodObject> {
  name: ToolName;
  description: string;
  input: S;
  /** No side effects on the bus (beyond the caller's own read cursor). */
  readOnly?: boolean;
  /**
   * Whether the call counts as liveness and renews the agent's held task leases. False for the
   * tools that act on a lease themselves.
   */
  renews?: boolean;
}

/** A tool as the dispatcher holds it: input type erased, `open` tools run without an identity. */
export interface AnyTool {
  name: ToolName;
  description: string;
  input: z.ZodObject;
  readOnly: boolean;
  renews: boolean;
  open: boolean;
  run(args: unknown, call: Call, me: Identity | null): Promise<ToolOutput>;
}

function build<S extends z.ZodObject>(def: ToolBase<S>, open: boolean, run: AnyTool['run']): AnyTool {
  return { name: def.name, description: def.description, input: def.input, readOnly: def.readOnly ?? false, renews: def.renews ?? true, open, run };
}

/** A tool that needs a registered (or adopted) instance; the dispatcher answers NOT_REGISTERED otherwise. */
export function tool<S extends z.ZodObject>(
  def: ToolBase<S> & { run(args: z.output<S>, call: IdentifiedCall): Promise<ToolOutput> },
): AnyTool {
  return build(def, false, (args, call, me) => def.run(args as z.output<S>, { ...call, me: me! }));
}

/** A tool that works before registration (register, whoami). */
export function openTool<S extends z.ZodObject>(def: ToolBase<S> & { run(args: z.output<S>, call: Call): Promise<ToolOutput> }): AnyTool {
  return build(def, true, (args, call) => def.run(args as z.output<S>, call));
}
