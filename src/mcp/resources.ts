import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { describeError, isDaedalusError } from '../common/index.js';
import type { Identity, McpContext } from './context.js';
import { requireIdentity } from './identity.js';
import { instanceLine, messageLine, taskLine } from './views.js';

const OPEN_STATES = ['blocked', 'ready', 'leased', 'running', 'integrating'] as const;

/** Resources answer like tools: a failure is a JSON body with the error line, never a protocol error. */
function resource(ctx: McpContext, uri: string, read: (me: Identity) => Promise<unknown>): () => Promise<ReadResourceResult> {
  return async () => {
    let body: unknown;
    try {
      body = await read(await requireIdentity(ctx));
    } catch (e) {
      if (!isDaedalusError(e)) ctx.log.error(`resource ${uri} failed: ${describeError(e)}`);
      body = { error: isDaedalusError(e) ? `${e.code}: ${e.message}${e.hint ? ` — ${e.hint}` : ''}` : `INTERNAL: ${describeError(e)}` };
    }
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(body) }] };
  };
}

export function registerResources(server: McpServer, ctx: McpContext): void {
  server.registerResource(
    'inbox',
    'daedalus://inbox',
    { description: 'Your unread messages (a peek: reading this does not mark them read; poll_messages does).', mimeType: 'application/json' },
    resource(ctx, 'daedalus://inbox', async (me) => {
      const list = await ctx.store.pollMessages(me.id, { limit: 100, peek: true });
      return { messages: list.map(messageLine) };
    }),
  );
  server.registerResource(
    'tasks',
    'daedalus://tasks',
    { description: "This scope's tasks: counts by state and one compact line per unfinished task.", mimeType: 'application/json' },
    resource(ctx, 'daedalus://tasks', async (me) => {
      const [status, open] = await Promise.all([ctx.store.status(me.scope), ctx.store.listTasks(me.scope, { states: [...OPEN_STATES], limit: 500 })]);
      return { counts: status.tasksByState, open: open.map(taskLine), truncated: open.length === 500 };
    }),
  );
  server.registerResource(
    'instances',
    'daedalus://instances',
    { description: 'The live instances of this scope with role, status and current task.', mimeType: 'application/json' },
    resource(ctx, 'daedalus://instances', async (me) => {
      const list = await ctx.store.listInstances(me.scope);
      return { instances: list.map(instanceLine) };
    }),
  );
}
