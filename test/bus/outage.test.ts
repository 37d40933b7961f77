import { describe, expect, it } from 'vitest';
import { busRetryMs, Outage } from '../../src/bus/sql/outage.js';
import { sqliteFaultOf } from '../../src/bus/sqlite/faults.js';
import { isConnectionFault, isServerPassing } from '../../src/bus/postgres/faults.js';

/** A clock that only moves when the outage sleeps: the arithmetic without any waiting. */
function fakeTime() {
  let now = 1_000;
  const slept: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
    slept,
  };
}

describe('waiting out a bus fault', () => {
  it('pauses grow from about 25 ms to at most 1 s, and stop, without a wait, once the budget is spent', async () => {
    const t = fakeTime();
    const outage = new Outage(10_000, t.now, t.sleep);
    let tries = 0;
    while (await outage.pause()) tries++;
    expect(tries).toBeGreaterThan(10);
    expect(t.slept[0]).toBeGreaterThanOrEqual(12.5);
    expect(t.slept[0]).toBeLessThanOrEqual(25);
    expect(Math.max(...t.slept)).toBeLessThanOrEqual(1000);
    // The last pause is cut to what is left: the budget is kept to the millisecond.
    expect(outage.elapsedMs).toBe(10_000);
    const before = t.slept.length;
    expect(await outage.pause()).toBe(false);
    expect(t.slept.length).toBe(before);
  });

  it('DAEDALUS_BUS_RETRY is a duration; a bad one is refused naming the variable', () => {
    expect(busRetryMs({})).toBe(60_000);
    expect(busRetryMs({ DAEDALUS_BUS_RETRY: '2m' })).toBe(120_000);
    expect(() => busRetryMs({ DAEDALUS_BUS_RETRY: 'soon' })).toThrow(/DAEDALUS_BUS_RETRY=soon/);
  });

  it('tells a lost PostgreSQL server from a wrong statement', () => {
    const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
    expect(isConnectionFault(err('terminating connection due to administrator command', '57P01'))).toBe(true);
    expect(isConnectionFault(err('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isConnectionFault(err('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionFault(err('syntax error at or near "SELEC"', '42601'))).toBe(false);
    expect(isConnectionFault(err('duplicate key value', '23505'))).toBe(false);
    expect(isServerPassing(err('the database system is starting up', '57P03'))).toBe(true);
    expect(isServerPassing(err('connect ECONNREFUSED', 'ECONNREFUSED'))).toBe(false);
  });

  it('tells a damaged, full or read-only SQLite file from a wrong statement', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(sqliteFaultOf(err('SQLITE_FULL'))).toBe('full');
    expect(sqliteFaultOf(err('SQLITE_NOTADB'))).toBe('not-a-database');
    expect(sqliteFaultOf(err('SQLITE_CORRUPT'))).toBe('corrupt');
    expect(sqliteFaultOf(err('SQLITE_READONLY_DBMOVED'))).toBe('read-only');
    expect(sqliteFaultOf(err('SQLITE_IOERR_WRITE'))).toBe('io');
    expect(sqliteFaultOf(err('SQLITE_ERROR'))).toBe(null);
    expect(sqliteFaultOf(err('SQLITE_CONSTRAINT_UNIQUE'))).toBe(null);
  });
});
