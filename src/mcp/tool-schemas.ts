import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AnyTool } from './tool.js';
import { ALL_TOOLS } from './tools/all.js';

/** A tool as tools/list shows it: the JSON schema of its zod input. */
function listed(t: AnyTool): Tool {
  return {
    name: t.name,
    description: t.description,
    inputSchema: z.toJSONSchema(t.input, { io: 'input' }) as Tool['inputSchema'],
    annotations: { readOnlyHint: t.readOnly, openWorldHint: false },
  };
}

/** The tools/list answer, computed from the tools' zod inputs (the build stores it in dist/mcp.js). */
export function describeTools(): Tool[] {
  return ALL_TOOLS.map(listed);
}
