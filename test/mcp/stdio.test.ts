import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { packageVersion } from '../../src/common/index.js';
import { allowedTools } from '../../src/mcp/policy.js';
import { describeTools } from '../../src/mcp/tool-schemas.js';
import { SCOPE, tempBus, type Bus, type Loose } from './helpers.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSX_ENTRY = ['--import', 'tsx', 'src/mcp/stdio-entry.ts'];
const CLI = join(REPO, 'dist/cli/main.js');
/** The bundled entry agents' MCP configurations run (built by the test setup). */
const BUNDLED = join(REPO, 'dist/mcp.js');
const MiB = 1024 * 1024;

function serverEnv(bus: Bus, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: bus.dir,
    DAEDALUS_HOME: bus.dir,
    DAEDALUS_BUS: `sqlite:${join(bus.dir, 'bus.db')}`,
    DAEDALUS_SCOPE: SCOPE,
    DAEDALUS_FILE_ROOT: bus.root,
    ...extra,
  };
}

const text = (r: Awaited<ReturnType<Client['callTool']>>) => (r.content as { text: string }[])[0]!.text;

/** whoami, register, a bad call, and a clean close, through a real child process. */
async function exercise(bus: Bus, args: string[]): Promise<void> {
  const transport = new StdioClientTransport({ command: process.execPath, args, cwd: REPO, env: serverEnv(bus), stderr: 'pipe' });
  const client = new Client({ name: 'stdio-test', version: '0' });
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  expect(JSON.parse(text(await client.callTool({ name: 'whoami', arguments: {} })))).toMatchObject({ registered: false });
  const reg = JSON.parse(text(await client.callTool({ name: 'register', arguments: { role: 'worker' } })));
  const bad = await client.callTool({ name: 'lock_file', arguments: { path: '/etc/passwd' } });
  expect(bad.isError).toBe(true);
  expect(text(bad)).toMatch(/^PATH_ESCAPE: /);
  const wrong = await client.callTool({ name: 'kv_get', arguments: { key: 42 } });
  expect(text(wrong)).toMatch(/^INVALID_INPUT: /);
  expect(JSON.parse(text(await client.callTool({ name: 'whoami', arguments: {} })))).toMatchObject({ registered: true, id: reg.id });
  await client.close();
  // Any stray line on stdout would have surfaced as a parse error here.
  expect(errors).toEqual([]);
  // It registered itself, so it deregistered on exit.
  expect((await bus.store.getInstance(reg.id))!.status).toBe('gone');
}

interface RawRun {
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
  send(msg: object): void;
  /** Resolves with the response to request id. */
  response(id: number): Promise<Loose>;
  kill(signal: NodeJS.Signals): void;
  closeStdin(): void;
}

function spawnRaw(bus: Bus, extra: Record<string, string> = {}, args = TSX_ENTRY): RawRun {
  const child = spawn(process.execPath, args, { cwd: REPO, env: serverEnv(bus, extra), stdio: ['pipe', 'pipe', 'pipe'] });
  const run = { stdout: '', stderr: '' } as RawRun;
  const waiters = new Map<number, (r: Loose) => void>();
  child.stdout.on('data', (d: Buffer) => {
    run.stdout += d.toString();
    for (const line of run.stdout.split('\n').slice(0, -1)) {
      const msg = JSON.parse(line) as { id?: number };
      if (msg.id !== undefined) waiters.get(msg.id)?.(msg);
    }
  });
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  // A server that dies mid-write fails the test through response(), not as an unhandled EPIPE.
  child.stdin.on('error', () => undefined);
  run.exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  // The SDK's client writes the id last, after the params: the server must find it there.
  run.send = (msg) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
  run.response = (id) =>
    new Promise((resolve, reject) => {
      waiters.set(id, resolve);
      void run.exit.then((code) => reject(new Error(`the server exited (${code}) before answering request ${id}; stderr:\n${run.stderr.slice(-2000)}`)));
    });
  run.kill = (s) => child.kill(s);
  run.closeStdin = () => child.stdin.end();
  return run;
}

async function handshake(run: RawRun): Promise<void> {
  run.send({ id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
  await run.response(0);
  run.send({ method: 'notifications/initialized' });
}

async function callRaw(run: RawRun, id: number, name: string, args: Record<string, unknown>) {
  run.send({ id, method: 'tools/call', params: { name, arguments: args } });
  const r = await run.response(id);
  return r.result as { content: { text: string }[]; isError?: boolean };
}

describe('daedalus mcp over stdio', () => {
  let bus: Bus;
  beforeEach(async () => {
    bus = await tempBus();
  });
  afterEach(async () => {
    await bus.close();
  });

  test('the tsx entry answers whoami, refuses bad input, and exits cleanly', async () => {
    await exercise(bus, TSX_ENTRY);
  });

  test('stdout carries only protocol messages; closing stdin exits 0 and deregisters a self-registered instance', async () => {
    const run = spawnRaw(bus, { DAEDALUS_DEBUG: '1' });
    await handshake(run);
    const reg = JSON.parse((await callRaw(run, 1, 'register', { role: 'planner' })).content[0]!.text);
    expect((await callRaw(run, 2, 'request_task', { title: 5 })).isError).toBe(true);
    expect((await callRaw(run, 3, 'whoami', {})).content[0]!.text).toContain(reg.id);
    run.closeStdin();
    expect(await run.exit).toBe(0);
    for (const line of run.stdout.trim().split('\n')) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    expect(run.stderr).toMatch(/\[daedalus mcp\] info/);
    expect((await bus.store.getInstance(reg.id))!.status).toBe('gone');
  });

  test('on SIGTERM an adopted instance is left to its supervisor, and the process exits 0', async () => {
    const inst = await bus.store.reserveInstance({ scope: SCOPE, role: 'worker', leaseMs: 60_000 });
    const run = spawnRaw(bus, { DAEDALUS_INSTANCE_ID: inst.id });
    await handshake(run);
    expect(JSON.parse((await callRaw(run, 1, 'whoami', {})).content[0]!.text)).toMatchObject({ id: inst.id, started_by_supervisor: true });
    run.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(await bus.store.getInstance(inst.id)).toMatchObject({ adopted: true, status: 'idle' });
  });
});

describe('a message larger than the server reads', () => {
  let bus: Bus;
  beforeEach(async () => {
    bus = await tempBus();
  });
  afterEach(async () => {
    await bus.close();
  });

  test('a 12 MiB call is refused with TOO_LARGE naming its size and the limit, and the server keeps serving', async () => {
    // Through the CLI, which hands `mcp` to the bundled entry.
    const run = spawnRaw(bus, {}, [CLI, 'mcp']);
    await handshake(run);
    run.send({ method: 'tools/call', params: { name: 'kv_set', arguments: { key: 'big', value: 'x'.repeat(12 * MiB) } }, id: 1 });
    const refused = (await run.response(1)).result as { content: { text: string }[]; isError?: boolean };
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toMatch(/^TOO_LARGE: the message is 12\.0 MiB; the limit is 4\.0 MiB per message/);
    // Still serving, on the same connection.
    const reg = JSON.parse((await callRaw(run, 2, 'register', { role: 'planner' })).content[0]!.text);
    expect(reg.id).toMatch(/\S/);
    // A valid batch that is simply too big as one message: 100 tasks of 200 KiB each.
    const tasks = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, title: `task ${i}`, description: 'd'.repeat(200 * 1024) }));
    run.send({ id: 3, method: 'tools/call', params: { name: 'request_task_batch', arguments: { tasks } } });
    expect((await run.response(3)).result).toMatchObject({ isError: true, content: [{ text: expect.stringMatching(/^TOO_LARGE: the message is 19\.\d MiB/) }] });
    // A request that is not a tool call gets a JSON-RPC error instead.
    run.send({ method: 'resources/read', params: { uri: 'daedalus://inbox', padding: 'p'.repeat(5 * MiB) }, id: 4 });
    expect((await run.response(4)).error).toMatchObject({ code: -32600, message: expect.stringMatching(/^TOO_LARGE: the message is 5\.0 MiB/), data: { code: 'TOO_LARGE', limit_bytes: 4 * MiB } });
    expect(JSON.parse((await callRaw(run, 5, 'whoami', {})).content[0]!.text)).toMatchObject({ registered: true, id: reg.id });
    expect(run.stderr).toMatch(/refused a 12\.0 MiB message \(tools\/call\)/);
    run.closeStdin();
    expect(await run.exit).toBe(0);
  });
});

describe('the built CLI: dist/cli/main.js mcp', () => {
  let bus: Bus;
  beforeAll(() => {
    if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'ignore', timeout: 180_000 });
    if (!existsSync(CLI)) throw new Error('npm run build did not produce dist/cli/main.js');
    const help = execFileSync(process.execPath, [CLI, '--help'], { cwd: REPO, encoding: 'utf8' });
    if (!/^\s+mcp\b/m.test(help)) {
      throw new Error('dist/cli/main.js has no `mcp` command: wire runMcpServer (src/mcp/index.ts) into src/cli/program.ts, then run `npm run build`');
    }
  }, 200_000);
  beforeEach(async () => {
    bus = await tempBus();
  });
  afterEach(async () => {
    await bus.close();
  });

  test('answers whoami, refuses bad input, and exits cleanly', async () => {
    await exercise(bus, [CLI, 'mcp']);
  });

  test('the bundled entry answers the same, and lists exactly the tools of the sources', async () => {
    await exercise(bus, [BUNDLED, 'mcp']);
    const transport = new StdioClientTransport({ command: process.execPath, args: [BUNDLED], cwd: REPO, env: serverEnv(bus), stderr: 'pipe' });
    const client = new Client({ name: 'stdio-test', version: '0' });
    await client.connect(transport);
    expect(client.getServerVersion()).toMatchObject({ name: 'daedalus', version: packageVersion() });
    // Written into dist/mcp.js at build time: a stale or wrong build shows here.
    expect((await client.listTools()).tools).toEqual(JSON.parse(JSON.stringify(describeTools())));
    await client.close();
  });

  test('an agent started pinned to the worker role is offered only the tools a worker may call', async () => {
    const reserved = await bus.store.reserveInstance({ scope: SCOPE, role: 'worker', label: 'pinned', reservedBy: 'test', leaseMs: 60_000 });
    const env = serverEnv(bus, { DAEDALUS_INSTANCE_ID: reserved.id, DAEDALUS_ROLE: 'worker' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [BUNDLED, 'mcp'], cwd: REPO, env, stderr: 'pipe' });
    const client = new Client({ name: 'stdio-test', version: '0' });
    await client.connect(transport);
    const listed = (await client.listTools()).tools.map((t) => t.name);
    expect([...listed].sort()).toEqual([...allowedTools('worker')].sort());
    expect(listed).toContain('complete_task');
    expect(listed).not.toContain('spawn_parallel_tasks');
    // A hidden tool is still refused as before, with the hint, if an agent calls it anyway.
    const refused = await client.callTool({ name: 'request_task', arguments: { title: 'x', description: 'y' } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/only planners create tasks/);
    await client.close();
  });

  test('the bundled entry refuses arguments it does not know, with its usage', () => {
    const r = spawnSync(process.execPath, [BUNDLED, 'mcp', '--verbose'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unexpected argument "--verbose"\nusage: daedalus \[--bus ADDRESS\] mcp/);
  });
});
