import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { access, type ToolName } from './policy.js';

/**
 * The bundled entry (dist/mcp.js) has the tools/list answer written into it at build time
 * (scripts/build-mcp.mjs), so listing tools during an agent's handshake loads neither zod nor the
 * tools. Run from the modules instead (tests, tsx), it is computed on first use.
 */
declare const __DAEDALUS_MCP_TOOLS__: Tool[] | undefined;

let computed: Promise<Tool[]> | null = null;

export function toolList(): Tool[] | Promise<Tool[]> {
  if (typeof __DAEDALUS_MCP_TOOLS__ !== 'undefined') return __DAEDALUS_MCP_TOOLS__;
  return (computed ??= import('./tool-schemas.js').then((m) => m.describeTools()));
}

/**
 * What tools/list answers: for an agent Daedalus started pinned to a role, only the tools that
 * role may call — the others would be refused, and every turn of the agent sends the model the
 * whole list (the planner tools' schemas are a quarter of it). Everything for anyone else, whose
 * role is known only once it registers.
 */
export async function listedTools(pinnedRole: string | null): Promise<Tool[]> {
  const all = await toolList();
  return pinnedRole ? all.filter((t) => access(pinnedRole, t.name as ToolName) !== 'no') : all;
}
