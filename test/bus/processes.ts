import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/bus/open.js';
import type { Store } from '../../src/bus/store.js';
import type { WakeStats } from '../../src/bus/types.js';
import { rejectsWith, type BusBackend } from '../helpers/bus-harness.js';
import { BusWorker } from '../helpers/bus-process.js';

const TASKS = 2000;
const PROCESSES = 8;
/**
 * The -wal watch of old lost 4-6% of these wake-ups on an idle 2-core box (a third under load):
 * it passed 200 rounds by luck about once in 30 000 runs.
 */
const WAKE_ROUNDS = 200;
const WAKE_GIVE_UP_MS = 20_000;

interface ClaimReport {
  claimed: string[];
  completed: string[];
  errors: string[];
}

interface Held {
  held: { scope: string; taskId: string; token: string; leaseUntil: number }[];
}

/** What the bus promises across real OS processes: one claim per task, fencing, and prompt wake-ups. */
export function processTests(backend: BusBackend): void {
  describe('across OS processes', () => {
    const workers: BusWorker[] = [];
    const stores: Store[] = [];
    const spawnWorker = (args: Record<string, unknown>) => {
      const w = new BusWorker(args);
      workers.push(w);
      return w;
    };
    const open = async (address: string) => {
      const s = await openStore(address);
      stores.push(s);
      return s;
    };
    afterEach(async () => {
      for (const w of workers.splice(0)) w.kill();
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });

    it(`${PROCESSES} processes share ${TASKS} tasks: each is claimed and completed exactly once, without errors`, async () => {
      const address = await backend.fresh();
      const scope = `/repo/${randomBytes(4).toString('hex')}`;
      const store = await open(address);
      await store.createTasks(
        scope,
        Array.from({ length: TASKS }, (_, i) => ({ title: `task ${i}`, rank: i % 7 })),
      );
      const ws = Array.from({ length: PROCESSES }, (_, i) => spawnWorker({ mode: 'claim', address, scope, owner: `p${i}` }));
      for (const w of ws) await w.next();
      for (const w of ws) w.send('go');
      const reports = await Promise.all(ws.map((w) => w.next<ClaimReport>(300_000)));
      for (const w of ws) expect((await w.exited).code).toBe(0);

      expect(reports.flatMap((r) => r.errors)).toEqual([]);
      const claimed = reports.flatMap((r) => r.claimed);
      const completed = reports.flatMap((r) => r.completed);
      expect(claimed).toHaveLength(TASKS);
      expect(new Set(claimed).size).toBe(TASKS);
      expect(completed).toHaveLength(TASKS);
      expect(new Set(completed).size).toBe(TASKS);

      const tasks = await store.listTasks(scope, { limit: TASKS + 1 });
      expect(tasks).toHaveLength(TASKS);
      expect(tasks.filter((t) => t.state !== 'done' || t.attempt !== 1)).toEqual([]);
      expect(new Set(tasks.map((t) => t.id))).toEqual(new Set(claimed));
      // Every task's result names the process that claimed it: no completion landed on another's lease.
      const owner = new Map(reports.flatMap((r, i) => r.claimed.map((id) => [id, `p${i}`] as const)));
      expect(tasks.filter((t) => (t.result as { by: string }).by !== owner.get(t.id))).toEqual([]);
      const leased = await store.readEvents(scope, { after: 0, types: ['task.leased'], limit: 10_000 });
      expect(leased).toHaveLength(TASKS);
      expect(new Set(leased.map((e) => e.taskId)).size).toBe(TASKS);
    }, 330_000); // ~10 s on an idle 2-core box; with both cores busy elsewhere, minutes

    it('a SIGKILLed lease holder loses its tasks when the lease lapses, and its late completion is LEASE_LOST', async () => {
      const address = await backend.fresh();
      const viaSweep = `/repo/${randomBytes(4).toString('hex')}`;
      const viaClaim = `${viaSweep}-claim`;
      const store = await open(address);
      const [a] = await store.createTasks(viaSweep, [{ title: 'held, then swept' }]);
      const [b] = await store.createTasks(viaClaim, [{ title: 'held, then claimed again' }]);
      const holder = spawnWorker({ mode: 'hold', address, scope: viaSweep, scopes: [viaSweep, viaClaim], owner: 'doomed', leaseMs: 1500 });
      const { held } = await holder.next<Held>();
      expect(held.map((h) => h.taskId)).toEqual([a!.id, b!.id]);
      expect((await store.getTask(a!.id))?.state).toBe('leased');
      holder.kill('SIGKILL');
      const exit = await holder.exited;
      expect(exit.signal, `the holder exited by itself (code ${exit.code}): ${holder.errors}`).toBe('SIGKILL');

      // Still leased until the deadline: a dead holder is only noticed by its lease lapsing.
      expect((await store.sweep()).expiredTasks).toEqual([]);
      const lapse = Math.max(...held.map((h) => h.leaseUntil)) + 20 - Date.now();
      if (lapse > 0) await sleep(lapse);

      // claimNext recovers every lapsed lease (one index probe, all scopes), so sweep finds none left.
      const again = await store.claimNext({ scope: viaClaim, owner: 'rescuer', leaseMs: 60_000 });
      expect(again?.task).toMatchObject({ id: b!.id, attempt: 2, leaseOwner: 'rescuer' });
      expect(await store.getTask(a!.id)).toMatchObject({ state: 'ready', attempt: 2, leaseOwner: null });
      expect((await store.sweep()).expiredTasks).toEqual([]);

      for (const h of held) {
        await rejectsWith(store.completeTask(h.taskId, h.token, { late: true }), 'LEASE_LOST');
        await rejectsWith(store.reportProgress(h.taskId, h.token, 1000, 'still here'), 'LEASE_LOST');
      }
      expect((await store.completeTask(b!.id, again!.token, null)).state).toBe('done');
      expect((await store.getTask(a!.id))?.result).toBeNull();
    });

    it('a process waiting for events wakes within well under a second of another process committing', async () => {
      const address = await backend.fresh();
      const scope = `/repo/${randomBytes(4).toString('hex')}`;
      const store = await open(address);
      const waiter = spawnWorker({ mode: 'wait', address, scope, owner: 'b' });
      const latencies: number[] = [];
      for (let round = 0; round < 3; round++) {
        waiter.send('wait');
        await waiter.next();
        await sleep(200); // let the waiter settle into its wait (and PostgreSQL's LISTEN connect)
        const sent = Date.now();
        await store.sendMessage({ scope, from: 'a', to: '*', body: `round ${round}` });
        const r = await waiter.next<{ wokeAt: number; timedOut: boolean; types: string[] }>();
        expect(r.timedOut).toBe(false);
        expect(r.types).toEqual(['message.sent']);
        latencies.push(r.wokeAt - sent);
      }
      waiter.send('stop');
      expect((await waiter.exited).code).toBe(0);
      expect(latencies.every((ms) => ms < 1000), `wake-up latencies ${latencies.join(', ')} ms`).toBe(true);
    });

    it('every commit of another process wakes a waiting process by its signal: the backstop poll is never needed', async () => {
      const address = await backend.fresh();
      const scope = `/repo/${randomBytes(4).toString('hex')}`;
      await (await open(address)).close(); // created and migrated before the two start
      // The backstop is an hour away: a commit whose signal is lost leaves the waiter asleep, and
      // the round fails when it has not woken after WAKE_GIVE_UP_MS (instead of milliseconds).
      const waiter = spawnWorker({ mode: 'wait', address, scope, owner: 'b', backstopMs: 3_600_000, timeoutMs: 600_000 });
      const sender = spawnWorker({ mode: 'send', address, scope, owner: 'a' });
      let stats: WakeStats | null = null;
      for (let round = 0; round < WAKE_ROUNDS; round++) {
        waiter.send('wait');
        await waiter.next();
        // Time to fall asleep in its wait; a commit that comes sooner only makes the round easier.
        await sleep(10);
        sender.send('send');
        await sender.next();
        const r = await waiter.next<{ timedOut: boolean; types: string[]; stats: WakeStats }>(WAKE_GIVE_UP_MS).catch((e: Error) => {
          throw new Error(`round ${round}: the waiter never woke (figures before: ${JSON.stringify(stats)}): ${e.message}`);
        });
        expect(r.timedOut).toBe(false);
        expect(r.types).toEqual(['message.sent']);
        stats = r.stats;
      }
      waiter.send('stop');
      sender.send('stop');
      expect((await waiter.exited).code).toBe(0);
      expect(stats).toMatchObject({ backstopWakes: 0, armed: true });
      expect(stats!.pushes).toBeGreaterThanOrEqual(WAKE_ROUNDS);
    }, WAKE_ROUNDS * 200 + WAKE_GIVE_UP_MS + 30_000);
  });
}
