import { describe, expect, it } from 'vitest';
import type { LockResult } from '../../../src/bus/types.js';
import { useBus, type BusBackend } from '../../helpers/bus-harness.js';

const holderOf = (r: LockResult) => (r.ok ? null : r.holder.path);

export function lockTests(backend: BusBackend): void {
  describe('locks', () => {
    const bus = useBus(backend);
    const take = (owner: string, path: string, ttlMs = 60_000, taskId: string | null = null) =>
      bus.store.lock({ scope: bus.scope, path, owner, ttlMs, taskId, reason: `${owner} edits ${path}` });

    it('a free path is granted; another owner gets the holder back', async () => {
      const { store, scope, clock } = bus;
      const r = await take('a', 'src/a.ts');
      expect(r).toEqual({
        ok: true,
        lock: { scope, path: 'src/a.ts', owner: 'a', taskId: null, reason: 'a edits src/a.ts', acquiredAt: clock.t, expiresAt: clock.t + 60_000 },
      });
      const clash = await take('b', 'src/a.ts');
      expect(clash.ok).toBe(false);
      expect(clash.ok ? null : clash.holder).toMatchObject({ owner: 'a', path: 'src/a.ts', reason: 'a edits src/a.ts' });
      const ev = await store.readEvents(scope, { after: 0, types: ['lock.'] });
      expect(ev.map((e) => [e.type, e.data])).toEqual([['lock.acquired', { path: 'src/a.ts', owner: 'a' }]]);
    });

    it('is re-entrant for its owner, which renews it', async () => {
      const { clock } = bus;
      await take('a', 'src/a.ts', 1000);
      clock.advance(900);
      const again = await take('a', 'src/a.ts', 1000);
      expect(again.ok && again.lock.expiresAt).toBe(clock.t + 1000);
      clock.advance(900);
      expect(holderOf(await take('b', 'src/a.ts'))).toBe('src/a.ts');
    });

    it('a directory lock covers the files inside it, and a file lock blocks locking its directories', async () => {
      await take('a', 'src/bus');
      expect(holderOf(await take('b', 'src/bus/store.ts'))).toBe('src/bus');
      expect(holderOf(await take('b', 'src/bus/sql/x.ts'))).toBe('src/bus');
      expect(holderOf(await take('b', 'src'))).toBe('src/bus');
      expect(holderOf(await take('b', '.'))).toBe('src/bus');
      expect((await take('b', 'src/busy.ts')).ok).toBe(true);
      expect((await take('b', 'src/bu')).ok).toBe(true);
      await take('c', 'docs/guide/intro.md');
      expect(holderOf(await take('b', 'docs'))).toBe('docs/guide/intro.md');
      expect(holderOf(await take('b', 'docs/guide'))).toBe('docs/guide/intro.md');
      expect((await take('a', 'src/bus/inner.ts')).ok).toBe(true);
    });

    it('a lock on the root (.) covers everything', async () => {
      await take('a', '.');
      expect(holderOf(await take('b', 'readme.md'))).toBe('.');
      expect(holderOf(await take('b', 'src/x/y.ts'))).toBe('.');
    });

    it('an expired lock no longer counts, and sweep removes it', async () => {
      const { store, scope, clock } = bus;
      await take('a', 'a.ts', 1000);
      await take('a', 'b.ts', 5000);
      clock.advance(1000);
      expect(await store.checkLock(scope, 'a.ts')).toEqual([]);
      expect((await store.listLocks(scope)).map((l) => l.path)).toEqual(['b.ts']);
      expect((await store.sweep()).expiredLocks).toBe(1);
      const [rel] = await store.readEvents(scope, { after: 0, types: ['lock.released'] });
      expect(rel?.data).toEqual({ path: 'a.ts', owner: 'a', reason: 'expired' });
      expect((await take('b', 'a.ts')).ok).toBe(true);
      clock.advance(5000);
      expect((await take('b', 'b.ts')).ok).toBe(true);
    });

    it('checkLock finds the lock on the path, on a parent directory or on a child; listLocks lists by path', async () => {
      const { store, scope } = bus;
      await take('a', 'src/bus');
      await take('b', 'docs/a.md');
      await take('b', 'readme.md');
      expect((await store.checkLock(scope, 'src/bus/store.ts')).map((l) => l.path)).toEqual(['src/bus']);
      expect((await store.checkLock(scope, 'docs')).map((l) => l.path)).toEqual(['docs/a.md']);
      expect((await store.checkLock(scope, '.')).map((l) => l.path)).toEqual(['docs/a.md', 'readme.md', 'src/bus']);
      expect(await store.checkLock(scope, 'src/mcp')).toEqual([]);
      expect((await store.listLocks(scope)).map((l) => `${l.owner}:${l.path}`)).toEqual(['b:docs/a.md', 'b:readme.md', 'a:src/bus']);
    });

    it('unlock frees only the owner’s own lock', async () => {
      const { store, scope } = bus;
      await take('a', 'a.ts');
      expect(await store.unlock(scope, 'a.ts', 'b')).toBe(false);
      expect(await store.unlock(scope, 'a.ts', 'a')).toBe(true);
      expect(await store.unlock(scope, 'a.ts', 'a')).toBe(false);
      expect((await take('b', 'a.ts')).ok).toBe(true);
      const rel = await store.readEvents(scope, { after: 0, types: ['lock.released'] });
      expect(rel.map((e) => e.data)).toEqual([{ path: 'a.ts', owner: 'a', reason: 'unlocked' }]);
    });

    it('a task’s locks are released when it ends: done, failed, cancelled or expired', async () => {
      const { store, scope, clock } = bus;
      const [done, failed, cancelled, expired] = await store.createTasks(scope, [
        { title: 'done' },
        { title: 'failed' },
        { title: 'cancelled' },
        { title: 'expired', maxAttempts: 1 },
      ]);
      const leases = [];
      for (const t of [done!, failed!, cancelled!, expired!]) {
        leases.push(await store.claim(t.id, 'w', t === expired ? 1000 : 60_000));
        expect((await take('w', `${t.title}.ts`, 60_000, t.id)).ok).toBe(true);
      }
      await take('w', 'untied.ts');
      await store.completeTask(done!.id, leases[0]!.token, null);
      await store.failTask(failed!.id, leases[1]!.token, { error: 'x', retryable: false });
      await store.cancelTask(cancelled!.id);
      expect((await store.listLocks(scope)).map((l) => l.path)).toEqual(['expired.ts', 'untied.ts']);
      clock.advance(1001);
      await store.sweep();
      expect((await store.listLocks(scope)).map((l) => l.path)).toEqual(['untied.ts']);
      const reasons = (await store.readEvents(scope, { after: 0, types: ['lock.released'] })).map((e) => (e.data as { path: string }).path);
      expect(reasons.sort()).toEqual(['cancelled.ts', 'done.ts', 'expired.ts', 'failed.ts']);
    });
  });
}
