import { openStore } from '../../src/bus/index.js';
import { rmSync } from 'node:fs';
rmSync('/tmp/sm/p', { recursive: true, force: true });
const store = await openStore('sqlite:/tmp/sm/p/bus.db');
const scope = '/s';
for (let i = 0; i < 4000; i += 500) await store.createTasks(scope, Array.from({ length: 500 }, (_, k) => ({ title: `t${i + k}` })));
let t0 = performance.now(); let n = 0; let tc = 0, tm = 0;
for (;;) {
  const a = performance.now();
  const l = await store.claimNext({ scope, owner: 'me', leaseMs: 60000 });
  const b = performance.now(); tc += b - a;
  if (!l) break;
  await store.completeTask(l.task.id, l.token, { ok: true });
  tm += performance.now() - b;
  n++;
}
console.log(n, (n / (performance.now() - t0)) * 1000, 'claim ms', tc / n, 'complete ms', tm / n);
await store.close();
