import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/bus/open.js';
import type { Store } from '../../src/bus/store.js';
import { FakeClock } from '../helpers/bus-harness.js';

/**
 * The fast path writes its events from triggers, the general path from code: the two must leave
 * the same bus behind. One script runs on two buses, one each way, under the same clock, and
 * every event and task row is compared, with task ids named by title (ids are random).
 */
describe('SQLite fast path against the general path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'daedalus-fast-path-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const scope = '/fast/path';

  async function script(fastPath: boolean): Promise<{ events: unknown[]; tasks: unknown[]; claims: string[] }> {
    const clock = new FakeClock();
    clock.t = 1_000_000;
    const store: Store = await openStore(`sqlite:${join(dir, `bus-${fastPath ? 'fast' : 'general'}.db`)}`, { now: clock.now, fastPath });
    try {
      await store.createTasks(scope, [
        { title: 'a', runId: 'r1', rank: 9 },
        { title: 'b', runId: 'r1', rank: 5, dependsOn: ['$1'] },
        { title: 'c', runId: 'r1', rank: 4, dependsOn: ['$1', '$4'] },
        { title: 'd', runId: 'r1', rank: 6 },
        { title: 'e', integrate: true, rank: 3 },
        { title: 'f', rank: 2 },
      ]);
      const claims: string[] = [];
      const first = await store.claimNext({ scope, owner: 'w1', leaseMs: 60_000 });
      claims.push(first!.task.title);
      clock.advance(5);
      await store.lock({ scope, path: 'src/x.ts', owner: 'w1', ttlMs: 60_000, taskId: first!.task.id, reason: 'edits x' });
      await store.lock({ scope, path: 'src/y.ts', owner: 'w1', ttlMs: 60_000, taskId: first!.task.id, reason: 'edits y' });
      await store.lock({ scope, path: 'src/z.ts', owner: 'w2', ttlMs: 60_000, taskId: null, reason: 'not a task lock' });
      clock.advance(5);
      await store.completeTask(first!.task.id, first!.token, { ok: 1 });
      for (;;) {
        clock.advance(7);
        const l = await store.claimNext({ scope, owner: claims.length % 2 ? 'w2' : 'w1', leaseMs: 60_000 });
        if (!l) break;
        claims.push(l.task.title);
        if (l.task.title === 'f' && !claims.slice(0, -1).includes('f')) {
          // Left to lapse: the next claim must recover it first, on the general path.
          clock.advance(60_001);
          continue;
        }
        clock.advance(3);
        const t = await store.completeTask(l.task.id, l.token, { title: l.task.title });
        if (t.state === 'integrating') await store.markIntegrated(t.id, l.token, { merged: true });
      }
      const tasks = await store.listTasks(scope);
      const title = new Map(tasks.map((t) => [t.id, t.title]));
      const named = (id: string | null) => (id === null ? null : (title.get(id) ?? id));
      const events = (await store.readEvents(scope, { after: 0 })).map((e) => ({ ...e, id: undefined, taskId: named(e.taskId) }));
      const rows = tasks
        .map((t) => ({ ...t, id: named(t.id), dependsOn: t.dependsOn.map(named), leaseToken: undefined }))
        .sort((x, y) => String(x.id).localeCompare(String(y.id)));
      return { events, tasks: rows, claims };
    } finally {
      await store.close();
    }
  }

  it('writes the same events, in the same order, and leaves the same tasks as the general path', async () => {
    const general = await script(false);
    const fast = await script(true);
    expect(general.claims).toEqual(['a', 'd', 'b', 'c', 'e', 'f', 'f']);
    expect(fast.claims).toEqual(general.claims);
    const types = general.events.map((e) => (e as { type: string }).type);
    expect(types.filter((t) => t === 'lock.released')).toHaveLength(2);
    expect(types).toContain('task.integrating');
    expect(types).toContain('task.retry');
    expect(fast.events).toEqual(general.events);
    expect(fast.tasks).toEqual(general.tasks);
  });
});
