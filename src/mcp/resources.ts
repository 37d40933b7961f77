import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { OPEN_TASK_STATES } from '../bus/index.js';
import { describeError, isDaedalusError } from '../common/index.js';
import type { Identity, McpContext } from './context.js';
import { requireIdentity } from './identity.js';
import { RESOURCE_LIST, type ResourceInfo } from './resource-list.js';
import { instanceLine, messageLine, taskLine } from './views.js';

/** A read-only view an agent can read as a resource. */
export interface ResourceDef extends ResourceInfo {
  read(ctx: McpContext, me: Identity): Promise<unknown>;
}

const info = (uri: string): ResourceInfo => {
  const i = RESOURCE_LIST.find((r) => r.uri === uri);
  if (!i) throw new Error(`resource ${uri} is not in RESOURCE_LIST`);
  return i;
};

export const RESOURCES: readonly ResourceDef[] = [
  {
    ...info('daedalus://inbox'),
    async read(ctx, me) {
      const list = await ctx.store.pollMessages(me.id, { limit: 100, peek: true });
      return { messages: list.map(messageLine) };
    },
  },
  {
    ...info('daedalus://tasks'),
    async read(ctx, me) {
      const [status, open] = await Promise.all([ctx.store.status(me.scope), ctx.store.listTasks(me.scope, { states: [...OPEN_TASK_STATES], limit: 500 })]);
      return { counts: status.tasksByState, open: open.map(taskLine), truncated: open.length === 500 };
    },
  },
  {
    ...info('daedalus://instances'),
    async read(ctx, me) {
      const list = await ctx.store.listInstances(me.scope);
      return { instances: list.map(instanceLine) };
    },
  },
];

/** Resources answer like tools: a failure is a JSON body with the error line, never a protocol error. */
export async function readResource(ctx: McpContext, r: ResourceDef): Promise<ReadResourceResult> {
  let body: unknown;
  try {
    body = await r.read(ctx, await requireIdentity(ctx));
  } catch (e) {
    if (!isDaedalusError(e)) ctx.log.error(`resource ${r.uri} failed: ${describeError(e)}`);
    body = { error: isDaedalusError(e) ? `${e.code}: ${e.message}${e.hint ? ` — ${e.hint}` : ''}` : `INTERNAL: ${describeError(e)}` };
  }
  return { contents: [{ uri: r.uri, mimeType: 'application/json', text: JSON.stringify(body) }] };
}
