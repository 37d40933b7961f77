import { runMcpServer } from '../../mcp/index.js';

/** `daedalus mcp`: the bus served to one agent over stdio until its client goes. */
export function mcpCommand(opts: { bus?: string }): Promise<void> {
  return runMcpServer({ bus: opts.bus });
}
