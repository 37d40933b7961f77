import type { Tool } from '@modelcontextprotocol/sdk/types.js';

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
