import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/bus/open.js';
import { LISTENER_APP_NAME } from '../../src/bus/postgres/listener.js';
import type { Store } from '../../src/bus/store.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { armed, nextEmptyRead, until } from './conformance/wake.js';

const HOUR = 3_600_000;

/** Runs one statement on its own connection and returns the rows. */
async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

const listeners = async (url: string) =>
  Number((await sql<{ n: string }>(url, `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = '${LISTENER_APP_NAME}' AND datname = current_database()`))[0]!.n);

/** Ends the listening connection from the server side, as a restart or an admin would. */
const killListener = (url: string) =>
  sql(url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${LISTENER_APP_NAME}' AND datname = current_database()`);

describe('PostgreSQL listener', () => {
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  const open = async (url: string, wakeBackstopMs?: number) => {
    const s = await openStore(url, { wakeBackstopMs });
    stores.push(s);
    return s;
  };

  it('a commit made while the listener is down wakes the waiter by the catch-up after it listens again, not by the backstop', async () => {
    const url = await createTestDatabase('wake');
    const waiter = await open(url, HOUR);
    const writer = await open(url);
    await armed(waiter, '/s');
    expect(await listeners(url)).toBe(1);

    const asleep = nextEmptyRead(waiter);
    const waiting = waiter.waitForEvents('/s', { after: await waiter.lastEventId('/s'), types: ['message.'], timeoutMs: 20_000 });
    await asleep;
    await killListener(url);
    await writer.sendMessage({ scope: '/s', from: 'a', to: '*', body: 'while nobody listens' });
    const r = await waiting;
    expect(r.timedOut).toBe(false);
    expect(r.events.map((e) => e.type)).toEqual(['message.sent']);
    await until('the listener to be back', () => waiter.wakeStats().armed);
    expect(waiter.wakeStats()).toMatchObject({ rearms: 1, backstopWakes: 0 });
    // One connection replaced by one, not by a growing crowd.
    expect(await listeners(url)).toBe(1);

    // And the new connection carries the signals of later commits.
    const asleepAgain = nextEmptyRead(waiter);
    const again = waiter.waitForEvents('/s', { after: r.cursor, types: ['message.'], timeoutMs: 20_000 });
    await asleepAgain;
    await writer.sendMessage({ scope: '/s', from: 'a', to: '*', body: 'heard again' });
    expect((await again).timedOut).toBe(false);
    expect(waiter.wakeStats()).toMatchObject({ rearms: 1, backstopWakes: 0 });
    expect(waiter.wakeStats().pushes).toBeGreaterThanOrEqual(1);
  });

  it('notifications name the newest event id they signal', async () => {
    const url = await createTestDatabase('wake');
    const writer = await open(url);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const heard: string[] = [];
      c.on('notification', (n) => heard.push(String(n.payload)));
      await c.query('LISTEN daedalus_events');
      const [t] = await writer.createTasks('/s', [{ title: 'one' }]);
      const lease = await writer.claimNext({ scope: '/s', owner: 'w', leaseMs: 60_000 });
      await writer.completeTask(t!.id, lease!.token, null);
      await until('three notifications', () => heard.length >= 3);
      const ids = (await writer.readEvents('/s', { after: 0 })).map((e) => e.id);
      // createTasks (general path), claimNext and completeTask (single-statement fast paths).
      expect(heard.map(Number)).toEqual([ids[1], ids[2], ids.at(-1)]);
    } finally {
      await c.end();
    }
  });
});
