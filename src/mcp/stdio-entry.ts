// A bare entry for `node --import tsx src/mcp/stdio-entry.ts`: the MCP server without the CLI around it.
import { describeError } from '../common/index.js';
import { runMcpServer } from './run.js';

runMcpServer({ bus: process.env.DAEDALUS_BUS }).catch((e: unknown) => {
  process.stderr.write(`[daedalus mcp] error ${describeError(e)}\n`);
  process.exitCode = 1;
});
