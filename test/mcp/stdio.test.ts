import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { SCOPE, tempBus, type Bus, type Loose } from './helpers.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSX_ENTRY = ['--import', 'tsx', 'src/mcp/stdio-entry.ts'];
const CLI = join(REPO, 'dist/cli/main.js');

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

function spawnRaw(bus: Bus, extra: Record<string, string> = {}): RawRun {
  const child = spawn(process.execPath, TSX_ENTRY, { cwd: REPO, env: serverEnv(bus, extra), stdio: ['pipe', 'pipe', 'pipe'] });
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
  run.exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  run.send = (msg) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
  run.response = (id) => new Promise((resolve) => waiters.set(id, resolve));
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
});
