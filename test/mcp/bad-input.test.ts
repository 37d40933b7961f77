import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TOOL_NAMES } from '../../src/mcp/index.js';
import { connectAgent, tempBus, type Agent, type Bus } from './helpers.js';

type Prop = { type?: string; enum?: unknown[] };
type Schema = { properties?: Record<string, Prop>; required?: string[] };

const wrongValue = (p: Prop): unknown => {
  if (p.enum) return 'not-one-of-them';
  switch (p.type) {
    case 'string':
      return 12345;
    case 'number':
    case 'integer':
      return 'twelve';
    case 'boolean':
      return 'yes';
    case 'array':
      return 'not a list';
    case 'object':
      return 7;
    default:
      return undefined; // free JSON: every type is right
  }
};

/** Valid-looking filler for the required arguments, so one bad argument is the only fault. */
const filler = (name: string, p: Prop): unknown => {
  if (p.enum) return p.enum[0];
  if (p.type === 'array') return name === 'tasks' ? [{ title: 't' }] : ['x'];
  if (p.type === 'number' || p.type === 'integer') return 1;
  if (p.type === 'boolean') return false;
  return name === 'to' ? 'role:planner' : 'x';
};

describe('bad input never hurts the server', () => {
  let bus: Bus;
  let agent: Agent;
  let schemas: Map<string, Schema>;

  beforeAll(async () => {
    bus = await tempBus();
    // The supervisor may call every tool, so the policy never hides an input check.
    agent = await connectAgent(bus, { register: { role: 'supervisor' }, env: { DAEDALUS_ROLE: 'supervisor' } });
    schemas = new Map((await agent.client.listTools()).tools.map((t) => [t.name, t.inputSchema as Schema]));
  });
  afterAll(async () => {
    await agent.close();
    await bus.close();
  });

  async function expectRefused(tool: string, args: Record<string, unknown>, code: RegExp) {
    const r = await agent.call(tool, args);
    expect(r.isError, `${tool} ${JSON.stringify(args).slice(0, 200)} → ${r.text}`).toBe(true);
    expect(r.text, `${tool} ${JSON.stringify(args).slice(0, 200)}`).toMatch(code);
    const me = await agent.call('whoami');
    expect(me.json.registered, `whoami after ${tool}`).toBe(true);
  }

  const base = (tool: string) => {
    const s = schemas.get(tool)!;
    return Object.fromEntries((s.required ?? []).map((k) => [k, filler(k, s.properties![k]!)]));
  };

  test('every tool is listed with a schema', () => {
    expect([...schemas.keys()].sort()).toEqual([...TOOL_NAMES].sort());
  });

  test.each(TOOL_NAMES)('%s refuses wrong types, unknown keys and missing arguments with INVALID_INPUT', async (tool) => {
    const s = schemas.get(tool)!;
    for (const [name, prop] of Object.entries(s.properties ?? {})) {
      const wrong = wrongValue(prop);
      if (wrong === undefined) continue;
      await expectRefused(tool, { ...base(tool), [name]: wrong }, /^INVALID_INPUT: bad arguments for \w+: /);
    }
    await expectRefused(tool, { ...base(tool), bogus_argument: 1 }, /^INVALID_INPUT: .*bogus_argument/);
    for (const name of s.required ?? []) {
      const args = base(tool);
      delete args[name];
      await expectRefused(tool, args, /^INVALID_INPUT: /);
    }
  });

  test.each(TOOL_NAMES)('%s refuses an oversized value with TOO_LARGE', async (tool) => {
    const s = schemas.get(tool)!;
    const big = 'x'.repeat(300 * 1024);
    const target = Object.entries(s.properties ?? {}).find(([, p]) => p.type === 'string' || p.type === undefined);
    if (!target) return; // no free-text argument to overfill
    await expectRefused(tool, { ...base(tool), [target[0]]: target[1].type === 'string' ? big : { blob: big } }, /^TOO_LARGE: argument \w+ is 300 KiB; the limit is 256 KiB per value/);
  });

  test('a whole call over the request cap is TOO_LARGE', async () => {
    const chunk = 'y'.repeat(200 * 1024);
    await expectRefused('kv_set', { key: 'k', value: [chunk, chunk, chunk, chunk, chunk, chunk] }, /^TOO_LARGE: the arguments of kv_set are \d+ KiB; the limit is 1024 KiB per call/);
  });

  const unknownTask = ['claim_task', 'report_progress', 'complete_task', 'fail_task', 'cancel_task', 'get_task', 'lock_file', 'annotate', 'send_message'];
  test.each(unknownTask)('%s answers NOT_FOUND (or FORBIDDEN for a lease tool) for an unknown task id', async (tool) => {
    await expectRefused(tool, { ...base(tool), task_id: 't-does-not-exist' }, tool === 'lock_file' ? /^FORBIDDEN: task t-does-not-exist is not yours/ : /^NOT_FOUND: no task t-does-not-exist/);
  });

  test('unknown instances, dependencies and tools are refused', async () => {
    await expectRefused('send_message', { to: 'i-ghost', body: 'hi' }, /^NOT_FOUND: no instance i-ghost/);
    await expectRefused('request_task', { title: 't', depends_on: ['t-ghost'] }, /^UNKNOWN_DEPENDENCY: unknown dependency: t-ghost/);
    await expectRefused('request_task', { title: 't', depends_on: ['$1'] }, /^INVALID_INPUT: \$N references only make sense in a batch/);
    await expectRefused('request_task_batch', { tasks: [{ title: 'a', depends_on: ['$2'] }, { title: 'b', depends_on: ['$1'] }] }, /^CYCLE: /);
    await expectRefused('request_task_batch', { tasks: [{ title: 'a', depends_on: ['$5'] }] }, /^UNKNOWN_DEPENDENCY: /);
    await expectRefused('request_task_batch', { tasks: [] }, /^INVALID_INPUT/);
    await expectRefused('no_such_tool', {}, /^NOT_FOUND: no tool named no_such_tool/);
  });

  test('an unexpected exception is INTERNAL with its message, logged to stderr, and the server stays up', async () => {
    const other = await tempBus();
    const lines: string[] = [];
    const log = { debug: () => {}, info: () => {}, warn: () => {}, error: (m: string) => lines.push(m) };
    const a = await connectAgent(other, { register: { role: 'worker' }, log });
    await other.store.close(); // every store call now throws a plain Error
    try {
      const r = await a.call('list_tasks');
      expect(r.text).toMatch(/^INTERNAL: list_tasks failed: .+ — this is a Daedalus bug/);
      expect(lines.join('\n')).toMatch(/tool list_tasks failed unexpectedly/);
      expect((await a.ok('whoami')).registered).toBe(true);
    } finally {
      await a.close();
      await other.close().catch(() => undefined);
    }
  });

  const pathTools: [string, string][] = [
    ['lock_file', 'path'],
    ['unlock_file', 'path'],
    ['check_file', 'path'],
    ['annotate', 'file'],
    ['search_context', 'file'],
  ];
  test.each(pathTools)('%s refuses paths that escape the file root with PATH_ESCAPE', async (tool, arg) => {
    for (const p of ['../x', '/etc/passwd', 'src/../../x']) {
      await expectRefused(tool, { ...base(tool), [arg]: p }, /^PATH_ESCAPE: path ".*" is outside the root .* — lock paths must stay inside your worktree/);
    }
    await expectRefused(tool, { ...base(tool), [arg]: '   ' }, /^INVALID_INPUT: path is empty/);
  });
});
