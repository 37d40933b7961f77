import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpContext } from './context.js';
import { Dispatcher } from './dispatch.js';
import type { RequestExtra } from './protocol.js';
import { RESOURCES, readResource } from './resources.js';
import { ALL_TOOLS } from './tools/all.js';
import { permissionAnswer } from './tools/permissions.js';

/**
 * The part of the server that does the work: the tools (with their zod inputs) and the resource
 * readers, bound to one agent's context. server.ts loads it on the first call that needs it, so an
 * agent's handshake does not wait for it.
 */
export interface Engine {
  ctx: McpContext;
  callTool(name: string, args: unknown, extra: RequestExtra): Promise<CallToolResult>;
  /** Null when no resource has that uri. */
  readResource(uri: string): Promise<ReadResourceResult> | null;
}

export function createEngine(ctx: McpContext): Engine {
  const dispatcher = new Dispatcher(ctx);
  dispatcher.add([...ALL_TOOLS]);
  return {
    ctx,
    async callTool(name, args, extra) {
      return permissionAnswer(name, await dispatcher.call(name, args, extra));
    },
    readResource(uri) {
      const r = RESOURCES.find((x) => x.uri === uri);
      return r ? readResource(ctx, r) : null;
    },
  };
}
