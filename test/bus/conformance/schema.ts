import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/bus/open.js';
import { rawExec, rejectsWith, useBus, type BusBackend } from '../../helpers/bus-harness.js';

export function schemaTests(backend: BusBackend): void {
  describe('schema', () => {
    const bus = useBus(backend);

    it('opening an existing bus again keeps its data (migrations are idempotent)', async () => {
      const { store, scope, address } = bus;
      const t = await store.createTask(scope, { title: 'survives' });
      await store.close();
      const again = await bus.open();
      const third = await bus.open();
      expect((await again.getTask(t.id))?.title).toBe('survives');
      expect(await third.listTasks(scope)).toHaveLength(1);
      expect(again.backend).toBe(backend.name);
      expect(again.address).toContain(backend.name === 'sqlite' ? address.slice('sqlite:'.length) : '127.0.0.1');
    });

    it('a bus whose schema is newer than this code is refused with SCHEMA_TOO_NEW', async () => {
      const { address } = bus;
      await rawExec(address, `INSERT INTO daedalus_schema (version, name, applied_at) VALUES (999, 'from the future', 0)`);
      const e = await rejectsWith(openStore(address), 'SCHEMA_TOO_NEW');
      expect(e.message).toContain('999');
    });

    it('a bus that cannot be reached is BUS_UNAVAILABLE', async () => {
      const unreachable =
        backend.name === 'sqlite'
          ? `sqlite:${bus.address.slice('sqlite:'.length)}/under-a-file/bus.db` // its parent is a file
          : 'postgres://postgres@127.0.0.1:1/none';
      await rejectsWith(openStore(unreachable), 'BUS_UNAVAILABLE');
    });

    it('an address that is neither sqlite: nor postgres:// is BAD_BUS_ADDRESS', async () => {
      await rejectsWith(openStore('mysql://localhost/db'), 'BAD_BUS_ADDRESS');
      await rejectsWith(openStore('sqlite:'), 'BAD_BUS_ADDRESS');
    });
  });
}
