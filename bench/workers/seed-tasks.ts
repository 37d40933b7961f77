// Seeds N plain tasks into a scope through the Store of a given source tree, so a baseline's bus
// gets its own schema: `seed-tasks.ts STORE_MODULE ADDRESS SCOPE N` (STORE_MODULE: .../src/bus/index.ts).
import type * as Bus from '../../src/bus/index.js';

const [storeModule, address, scope, count] = process.argv.slice(2) as [string, string, string, string];
const { openStore } = (await import(storeModule)) as typeof Bus;
const n = Number(count);
const store = await openStore(address);
for (let i = 0; i < n; i += 500) {
  await store.createTasks(scope, Array.from({ length: Math.min(500, n - i) }, (_, k) => ({ title: `task ${i + k}` })));
}
await store.close();
