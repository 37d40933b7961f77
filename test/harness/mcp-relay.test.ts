import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { McpServerEntry } from '../../src/harness/launch.js';
import { relayMcpServer, type RelayedLaunch } from '../../src/harness/mcp-relay.js';
import { spawnGroup } from '../../src/harness/spawn.js';
import type { AgentProcess } from '../../src/harness/types.js';
import { tempBus, type Bus } from '../mcp/helpers.js';

/** The bundled entry agents' MCP configurations run (built by the test setup). */
const BUNDLED = fileURLToPath(new URL('../../dist/mcp.js', import.meta.url));
const PATH = process.env.PATH ?? '';

let bus: Bus;
let attemptDir: string;
const agents: AgentProcess[] = [];
const clients: Client[] = [];

beforeEach(async () => {
  bus = await tempBus();
  attemptDir = join(bus.dir, 'attempt-1');
  mkdirSync(attemptDir);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(agents.splice(0).map((a) => a.terminate(500)));
  await bus.close();
});

const server = (): McpServerEntry => ({
  command: process.execPath,
  args: [BUNDLED, 'mcp'],
  env: { PATH, HOME: bus.dir, DAEDALUS_HOME: bus.dir, DAEDALUS_BUS: `sqlite:${join(bus.dir, 'bus.db')}`, DAEDALUS_SCOPE: '/repo/under-test' },
});

/** Waits for a condition the processes under test bring about; the ceiling only ends a broken test. */
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 800; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting: ${what}`);
}

const alive = (pid: number) => {
  try {
    return !/^\d+ \([^)]*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function launch(agentScript: string, ...agentArgs: string[]): Promise<{ relayed: RelayedLaunch; agent: AgentProcess; relayDir: string }> {
  const relayed = relayMcpServer(attemptDir, server(), { command: '/bin/sh', args: ['-c', agentScript, 'agent', ...agentArgs] }, PATH);
  if (!relayed) throw new Error('no relay for an existing server command');
  const agent = await spawnGroup(relayed.command, relayed.args, { cwd: bus.dir, env: { PATH, HOME: bus.dir }, logFile: join(attemptDir, 'output.log') });
  agents.push(agent);
  return { relayed, agent, relayDir: join(attemptDir, 'mcp-relay') };
}

/** Connects as the CLI does: runs the relay entry and speaks MCP over its stdio. */
async function connect(relayed: RelayedLaunch): Promise<{ client: Client; transport: StdioClientTransport; instancePid: () => Promise<number | null> }> {
  const transport = new StdioClientTransport({ command: relayed.relay.command, args: relayed.relay.args, env: relayed.relay.env, stderr: 'pipe' });
  const client = new Client({ name: 'relay-test', version: '0' });
  await client.connect(transport);
  clients.push(client);
  const instancePid = async () => {
    const r = await client.callTool({ name: 'register', arguments: { role: 'worker' } });
    const id = (JSON.parse((r.content as { text: string }[])[0]!.text) as { id: string }).id;
    return (await bus.store.getInstance(id))!.pid;
  };
  return { client, transport, instancePid };
}

const WAIT_FOR_FILE = 'while [ ! -e "$1" ]; do sleep 0.05; done';

describe('an MCP server started beside its agent CLI, reached through a relay', () => {
  test('the CLI is answered by the server that booted beside it, which leaves once the CLI lets go', async () => {
    const done = join(bus.dir, 'done');
    const { relayed, agent, relayDir } = await launch(WAIT_FOR_FILE, done);
    await until('the server waits for its CLI', () => existsSync(join(relayDir, 'ready')));
    const waiting = Number(readFileSync(join(relayDir, 'ready'), 'utf8'));

    const { client, transport, instancePid } = await connect(relayed);
    // The instance on the bus is the started-ahead process, not one the relay started.
    expect(await instancePid()).toBe(waiting);
    expect(transport.pid).not.toBe(waiting);
    expect(existsSync(join(relayDir, 'ready'))).toBe(false);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('complete_task');

    await client.close();
    clients.length = 0;
    await until('the server leaves when its CLI closes the relay', () => !alive(waiting));
    writeFileSync(done, '');
    expect((await agent.exited).exitCode).toBe(0);
  });

  test('a second start of the server by the CLI gets a server of its own', async () => {
    const { relayed, relayDir } = await launch(WAIT_FOR_FILE, join(bus.dir, 'never'));
    await until('the server waits for its CLI', () => existsSync(join(relayDir, 'ready')));
    const waiting = Number(readFileSync(join(relayDir, 'ready'), 'utf8'));
    const first = await connect(relayed);
    expect(await first.instancePid()).toBe(waiting);

    const second = await connect(relayed);
    expect(await second.instancePid()).toBe(second.transport.pid);
  });

  test('when the FIFOs cannot be made, the relay starts the server itself', async () => {
    mkdirSync(join(attemptDir, 'mcp-relay'));
    writeFileSync(join(attemptDir, 'mcp-relay', 'in'), 'a plain file where a FIFO would go');
    const { relayed } = await launch(WAIT_FOR_FILE, join(bus.dir, 'never'));
    const { transport, instancePid } = await connect(relayed);
    expect(await instancePid()).toBe(transport.pid);
  });

  test('a waiting server that is stopped withdraws, and the relay then starts one of its own', async () => {
    const { relayed, relayDir } = await launch(WAIT_FOR_FILE, join(bus.dir, 'never'));
    await until('the server waits for its CLI', () => existsSync(join(relayDir, 'ready')));
    const waiting = Number(readFileSync(join(relayDir, 'ready'), 'utf8'));
    process.kill(waiting, 'SIGTERM');
    await until('the stopped server is gone', () => !alive(waiting));
    expect(existsSync(join(relayDir, 'ready'))).toBe(false);
    const { transport, instancePid } = await connect(relayed);
    expect(await instancePid()).toBe(transport.pid);
  });

  test('a CLI that ends without asking for its server takes the waiting server with it', async () => {
    const { agent, relayDir } = await launch('while [ ! -e "$1" ]; do sleep 0.05; done; exit 3', join(attemptDir, 'mcp-relay', 'ready'));
    expect((await agent.exited).exitCode).toBe(3);
    const waiting = Number(readFileSync(join(relayDir, 'ready'), 'utf8'));
    await until('the waiting server is gone with its attempt', () => !alive(waiting));
  });

  test('a server command that is no executable is given to the CLI as it is, to fail with its own reason', () => {
    expect(relayMcpServer(attemptDir, { ...server(), command: '/nonexistent/daedalus-cli' }, { command: 'codex', args: [] }, PATH)).toBeNull();
  });
});
