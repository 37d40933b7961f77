import { packageVersion } from '../common/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { McpContext } from './context.js';
import { Dispatcher } from './dispatch.js';
import { registerResources } from './resources.js';
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


export function buildServer(ctx: McpContext): McpServer {
  const server = new McpServer({ name: 'daedalus', version: packageVersion() }, { instructions: INSTRUCTIONS });
  const dispatcher = new Dispatcher(ctx);
  dispatcher.add([...instanceTools, ...messageTools, ...activityTools, ...taskPlanTools, ...taskWorkTools, ...contextTools, ...lockTools, ...kvTools, ...guestbookTools, ...permissionTools]);
  for (const t of dispatcher.list()) {
    // Registered with the SDK for tools/list (names, descriptions, JSON schemas from zod) ...
    server.registerTool(
      t.name,
      { description: t.description, inputSchema: t.input, annotations: { readOnlyHint: t.readOnly, openWorldHint: false } },
      (args, extra) => dispatcher.call(t.name, args, extra),
    );
  }
  // ... but called through our dispatcher: the SDK's handler turns schema errors into text
  // without an error code, and we want every failure to start with one.
  server.server.setRequestHandler(CallToolRequestSchema, async (req, extra) =>
    permissionAnswer(req.params.name, await dispatcher.call(req.params.name, req.params.arguments, extra)),
  );
  registerResources(server, ctx);
  return server;
}
