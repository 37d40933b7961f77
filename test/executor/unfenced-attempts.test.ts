import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { endUnfencedAttempts } from '../../src/executor/index.js';
import { processAlive } from '../../src/common/index.js';
import { groupMembers } from '../../src/resources/index.js';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.pid && processAlive(c.pid)) process.kill(-c.pid, 'SIGKILL');
});

/** An "agent" in a group of its own, its task in its environment, with a child of its own. */
async function agent(taskId: string): Promise<ChildProcess> {
  const child = spawn('sh', ['-c', 'sleep 300 & wait'], { detached: true, stdio: 'ignore', env: { ...process.env, DAEDALUS_TASK_ID: taskId } });
  started.push(child);
  // Started for its task once the exec is done: until then its environment is the test's.
  while (!readFileSync(`/proc/${child.pid}/environ`, 'utf8').includes(`DAEDALUS_TASK_ID=${taskId}`)) await sleep(5);
  return child;
}

describe('attempts started but never fenced (a supervisor killed between launch and fence)', () => {
  it('are killed, their whole group, when their task is among those cut off; others are left alone', async () => {
    const cut = await agent('run-a:cut');
    const other = await agent('run-a:other');
    const exited = once(cut, 'exit');
    expect(await endUnfencedAttempts(new Set(['run-a:cut']))).toEqual(['run-a:cut']);
    await exited;
    expect(processAlive(cut.pid!)).toBe(false);
    // Nothing of its group is left either (the sleep it started).
    expect(groupMembers(cut.pid!)).toEqual([]);
    expect(processAlive(other.pid!)).toBe(true);
  });

  it('kills nothing when no task is named', async () => {
    const live = await agent('run-a:live');
    expect(await endUnfencedAttempts(new Set())).toEqual([]);
    expect(processAlive(live.pid!)).toBe(true);
  });
});
