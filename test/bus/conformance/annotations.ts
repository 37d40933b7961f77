import { describe, expect, it } from 'vitest';
import { useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function annotationTests(backend: BusBackend): void {
  describe('annotations', () => {
    const bus = useBus(backend);

    const seed = async () => {
      const { store, scope } = bus;
      await store.annotate({ scope, file: 'src/bus/store.ts', line: 12, kind: 'hazard', text: 'Changing this breaks MCP', by: 'i-1', taskId: 't-1' });
      await store.annotate({ scope, file: 'src/bus/sql/kv.ts', kind: 'todo', text: 'page kvList: 100% of keys' });
      await store.annotate({ scope, file: 'src/busy.ts', kind: 'note', text: 'not in src/bus' });
      await store.annotate({ scope, file: 'README.md', kind: 'finding', text: 'mentions 100 percent' });
    };
    const texts = async (q: Parameters<typeof bus.store.searchAnnotations>[1]) =>
      (await bus.store.searchAnnotations(bus.scope, q)).map((a) => a.text).sort();

    it('annotate stores the note and writes annotation.added', async () => {
      const { store, scope, clock } = bus;
      const a = await store.annotate({ scope, file: 'a.ts', line: 3, kind: 'bug', text: 'off by one', by: 'i-1', taskId: 't-9' });
      expect(a).toMatchObject({ scope, file: 'a.ts', line: 3, kind: 'bug', text: 'off by one', by: 'i-1', taskId: 't-9', at: clock.t });
      const [ev] = await store.readEvents(scope, { after: 0, types: ['annotation.added'] });
      expect(ev).toMatchObject({ instanceId: 'i-1', taskId: 't-9', data: { file: 'a.ts', kind: 'bug' } });
    });

    it('search by file matches the file and, for a directory, everything under it', async () => {
      await seed();
      expect(await texts({ file: 'src/bus/store.ts' })).toEqual(['Changing this breaks MCP']);
      expect(await texts({ file: 'src/bus' })).toEqual(['Changing this breaks MCP', 'page kvList: 100% of keys']);
      expect(await texts({ file: 'src/bus/' })).toHaveLength(2);
      expect(await texts({ file: 'src/bu' })).toEqual([]);
    });

    it('search by kind, and by text case-insensitively with % taken literally', async () => {
      await seed();
      expect(await texts({ kind: 'todo' })).toEqual(['page kvList: 100% of keys']);
      expect(await texts({ text: 'BREAKS mcp' })).toEqual(['Changing this breaks MCP']);
      expect(await texts({ text: '100%' })).toEqual(['page kvList: 100% of keys']);
      expect(await texts({ text: 'kvlist_' })).toEqual([]);
      expect(await texts({ text: 'src/bus', kind: 'note' })).toEqual(['not in src/bus']);
      expect(await texts({})).toHaveLength(4);
      expect(await bus.store.searchAnnotations(bus.scope, { limit: 1 })).toHaveLength(1);
    });
  });
}
