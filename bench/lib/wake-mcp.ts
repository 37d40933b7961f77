import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

/** One `daedalus mcp` process driven by an SDK client over stdio, as an agent CLI drives it. */
export class McpAgent {
  id = '';
  private constructor(readonly client: Client) {}

  static async start(cli: string, bus: string, scope: string, role: string, label: string): Promise<McpAgent> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, 'mcp'],
      env: { ...process.env, DAEDALUS_BUS: bus, DAEDALUS_SCOPE: scope } as Record<string, string>,
      stderr: 'ignore',
    });
    const client = new Client({ name: `bench-${label}`, version: '1' });
    await client.connect(transport);
    const agent = new McpAgent(client);
    const me = await agent.call('register', { role, label });
    agent.id = String(me.id);
    return agent;
  }

  /** Calls a tool and returns its JSON answer; a tool error is a bench failure. */
  async call(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = await this.client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
    const text = (r.content as { type: string; text?: string }[]).find((c) => c.type === 'text')?.text ?? '{}';
    if (r.isError) throw new Error(`${name} failed: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** The answer and the moment it arrived. */
const answered = (call: Promise<Record<string, unknown>>) => call.then((r) => ({ r, at: performance.now() }));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Long enough that the waiting server is asleep in waitForEvents, so a sample measures a wake from sleep. */
const settle = () => pause(15 + Math.random() * 15);

/**
 * A waiter and a sender over one bus. The waiter is a planner (it creates the tasks whose
 * completion it waits for); the sender is the worker that messages it and completes those tasks.
 */
export class WakePair {
  private constructor(
    readonly waiter: McpAgent,
    readonly sender: McpAgent,
  ) {}

  static async start(cli: string, bus: string, scope: string): Promise<WakePair> {
    const waiter = await McpAgent.start(cli, bus, scope, 'planner', 'waiter');
    const sender = await McpAgent.start(cli, bus, scope, 'worker', 'sender');
    const pair = new WakePair(waiter, sender);
    await pair.drain();
    return pair;
  }

  /** Consumes activity already pending for the waiter (the sender joining, task changes of a setup). */
  private async drain(): Promise<void> {
    for (;;) {
      const r = await this.waiter.call('wait_for_activity', { timeout_seconds: 0 });
      if (r.timed_out === true) return;
    }
  }

  /** send_message → the waiter's wait_for_activity returns with it, in ms (however long the sender's own answer takes). */
  async messageSample(n: number): Promise<number> {
    const waiting = answered(this.waiter.call('wait_for_activity', { timeout_seconds: 60 }));
    await settle();
    const t0 = performance.now();
    const sent = this.sender.call('send_message', { to: this.waiter.id, body: `ping ${n}` });
    const { r, at } = await waiting;
    await sent;
    const ms = at - t0;
    const got = (r.messages as { body?: string }[] | undefined)?.some((m) => m.body === `ping ${n}`);
    if (!got) throw new Error(`message sample ${n}: the waiter returned without the message: ${JSON.stringify(r)}`);
    return ms;
  }

  /** complete_task by the worker → the planner's wait_for_activity reports the task done, in ms. */
  async completionSample(n: number): Promise<number> {
    const created = await this.waiter.call('request_task', { title: `wake sample ${n}`, assignee: this.sender.id });
    const id = String((created.task as { id: string }).id);
    await this.sender.call('claim_task', { task_id: id });
    await this.drain();
    const waiting = answered(this.waiter.call('wait_for_activity', { timeout_seconds: 60 }));
    await settle();
    const t0 = performance.now();
    const completed = this.sender.call('complete_task', { task_id: id, summary: `sample ${n}` });
    const { r, at } = await waiting;
    await completed;
    const ms = at - t0;
    const task = (r.tasks as { id: string; state: string }[] | undefined)?.find((t) => t.id === id);
    if (!task || task.state !== 'done') throw new Error(`completion sample ${n}: the waiter returned without the completion: ${JSON.stringify(r)}`);
    return ms;
  }

  async close(): Promise<void> {
    await Promise.all([this.waiter.close(), this.sender.close()]);
  }
}
