// The baseline of `npm run bench -- mcp-start`: the smallest stdio MCP server one writes with the
// SDK Daedalus uses (its low-level Server, as Daedalus's server was before its own protocol layer).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

await new Server({ name: 'minimal', version: '1.0.0' }, { capabilities: { tools: {} } }).connect(new StdioServerTransport());
