import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SCOPE, tempBus, type Bus, type Loose } from './helpers.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ROUNDS = 30;
/** A wake-up takes milliseconds; one that has not come after this was lost. */
const GIVE_UP_MS = 20_000;

/** One `daedalus mcp` process, its backstop poll an hour away, driven over stdio like an agent CLI drives it. */
async function agent(bus: Bus, role: string): Promise<{ id: string; call(name: string, args?: Record<string, unknown>): Promise<Loose>; close(): Promise<void> }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'src/mcp/stdio-entry.ts'],
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: bus.dir,
      DAEDALUS_HOME: bus.dir,
      DAEDALUS_BUS: `sqlite:${join(bus.dir, 'bus.db')}`,
      DAEDALUS_SCOPE: SCOPE,
      DAEDALUS_FILE_ROOT: bus.root,
      DAEDALUS_WAKE_BACKSTOP_MS: '3600000',
    },
    stderr: 'pipe',
  });
  const client = new Client({ name: `wake-${role}`, version: '0' });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const r = await client.callTool({ name, arguments: args }, undefined, { timeout: GIVE_UP_MS });
    const text = (r.content as { text: string }[])[0]!.text;
    if (r.isError) throw new Error(`${name}: ${text}`);
    return JSON.parse(text) as Loose;
  };
  const me = await call('register', { role });
  return { id: me.id as string, call, close: () => client.close() };
}

describe('wait_for_activity across two daedalus mcp processes', () => {
  let bus: Bus;
  beforeEach(async () => {
    bus = await tempBus();
  });
  afterEach(async () => {
    await bus.close();
  });

  test(`${ROUNDS} messages and ${ROUNDS} completions each wake the waiting agent by the commit's signal`, async () => {
    const planner = await agent(bus, 'planner');
    const worker = await agent(bus, 'worker');
    try {
      const drain = async () => {
        while ((await planner.call('wait_for_activity', { timeout_seconds: 0 })).timed_out !== true);
      };
      await drain();
      for (let round = 0; round < ROUNDS; round++) {
        const waiting = planner.call('wait_for_activity', { timeout_seconds: 60 });
        await sleep(10); // to fall asleep in its wait; a message that comes sooner only makes the round easier
        await worker.call('send_message', { to: planner.id, body: `ping ${round}` });
        const got = await waiting.catch((e: Error) => {
          throw new Error(`message round ${round}: the waiting agent never woke: ${e.message}`);
        });
        expect(got.messages?.map((m: Loose) => m.body)).toEqual([`ping ${round}`]);

        const { task } = await planner.call('request_task', { title: `round ${round}`, assignee: worker.id });
        await worker.call('claim_task', { task_id: task.id });
        await drain();
        const done = planner.call('wait_for_activity', { timeout_seconds: 60 });
        await sleep(10);
        await worker.call('complete_task', { task_id: task.id, summary: 'done' });
        const heard = await done.catch((e: Error) => {
          throw new Error(`completion round ${round}: the waiting agent never woke: ${e.message}`);
        });
        expect(heard.tasks).toEqual([expect.objectContaining({ id: task.id, state: 'done' })]);
      }
    } finally {
      await Promise.all([planner.close(), worker.close()]);
    }
    // The backstop never had to deliver anything, in either server.
    expect((await bus.store.status(SCOPE)).wakes).toEqual({ backstopWakes: 0, lastBackstopAt: null });
  }, ROUNDS * 2000 + GIVE_UP_MS + 30_000);
});
