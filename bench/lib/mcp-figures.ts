import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { median } from './stats.js';

async function connect(cli: string, bus: string): Promise<{ client: Client; ms: number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, 'mcp'],
    env: { ...process.env, DAEDALUS_BUS: bus, DAEDALUS_SCOPE: '/bench/mcp' } as Record<string, string>,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'bench', version: '1' });
  const t0 = performance.now();
  await client.connect(transport);
  return { client, ms: performance.now() - t0 };
}

/** `daedalus mcp` start → initialize answered, and the whoami round trip, over real stdio. */
export async function mcpFigures(cli: string, bus: string): Promise<{ startMs: number; whoamiP50: number }> {
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { client, ms } = await connect(cli, bus);
    starts.push(ms);
    await client.close();
  }
  const { client } = await connect(cli, bus);
  await client.callTool({ name: 'register', arguments: { role: 'worker', label: 'bench' } });
  const rtts: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    rtts.push(performance.now() - t0);
    if (r.isError) throw new Error(`whoami failed: ${JSON.stringify(r.content)}`);
  }
  await client.close();
  return { startMs: median(starts), whoamiP50: median(rtts.slice(50)) };
}
