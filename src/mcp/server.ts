import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListResourcesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { DaedalusError, packageVersion } from '../common/index.js';
import type { McpContext } from './context.js';
import { Dispatcher } from './dispatch.js';
import { RESOURCES, readResource } from './resources.js';
import type { AnyTool } from './tool.js';
import { activityTools } from './tools/activity.js';
import { contextTools } from './tools/context.js';
import { guestbookTools } from './tools/guestbook.js';
import { instanceTools } from './tools/instances.js';
import { kvTools } from './tools/kv.js';
import { lockTools } from './tools/locks.js';
import { messageTools } from './tools/messages.js';
import { permissionAnswer, permissionTools } from './tools/permissions.js';
import { taskPlanTools } from './tools/tasks-plan.js';
import { taskWorkTools } from './tools/tasks-work.js';

const INSTRUCTIONS = [
  'Daedalus coordination bus: you are one of several agents working on one codebase.',
  'If whoami says registered:false, call register first.',
  'Workers: whoami shows your current task (a worker started by Daedalus already holds one; otherwise claim_next_task); lock_file before editing a shared file, report_progress at milestones, complete_task with a structured result.',
  'Any tool call keeps your task lease alive; LEASE_LOST means stop working on that task.',
  'Use wait_for_activity to block for messages and task changes instead of polling.',
].join(' ');

/** A tool as tools/list shows it: the JSON schema of its zod input, made once per server. */
function listed(t: AnyTool): Tool {
  return {
    name: t.name,
    description: t.description,
    inputSchema: z.toJSONSchema(t.input, { io: 'input' }) as Tool['inputSchema'],
    annotations: { readOnlyHint: t.readOnly, openWorldHint: false },
  };
}

/**
 * The MCP server for one agent, on the SDK's low-level Server with our own list and call handlers:
 * every call goes through the dispatcher, so every failure is an isError result that starts with
 * its code (schema errors included), and resources answer the same way.
 */
export function buildServer(ctx: McpContext): Server {
  const server = new Server({ name: 'daedalus', version: packageVersion() }, { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS });
  const dispatcher = new Dispatcher(ctx);
  dispatcher.add([...instanceTools, ...messageTools, ...activityTools, ...taskPlanTools, ...taskWorkTools, ...contextTools, ...lockTools, ...kvTools, ...guestbookTools, ...permissionTools]);
  let tools: Tool[] | null = null;
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: (tools ??= dispatcher.list().map(listed)) }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) =>
    permissionAnswer(req.params.name, await dispatcher.call(req.params.name, req.params.arguments, extra)),
  );
  server.setRequestHandler(ListResourcesRequestSchema, () => ({
    resources: RESOURCES.map(({ uri, name, description }) => ({ uri, name, description, mimeType: 'application/json' })),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const r = RESOURCES.find((x) => x.uri === req.params.uri);
    if (!r) throw new DaedalusError('NOT_FOUND', `no resource ${req.params.uri}`, `read one of ${RESOURCES.map((x) => x.uri).join(', ')}`);
    return readResource(ctx, r);
  });
  return server;
}
