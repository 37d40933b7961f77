// A busy swarm, as its own process: moves tasks of a run through leased → running → done at a
// given number of bus events per second, for a given time. Prints "done N" when finished.
import { openStore } from '../../src/bus/index.js';

const [address, scope, runId, rateArg, msArg] = process.argv.slice(2);
const rate = Number(rateArg);
const store = await openStore(address!);
const tasks = await store.listTasks(scope!, { runId: runId!, states: ['ready'], limit: 100_000 });
const steps: (() => Promise<unknown>)[] = [];
for (const t of tasks) {
  let token = '';
  steps.push(async () => (token = (await store.claim(t.id, 'bench-agent', 600_000)).token));
  steps.push(() => store.startTask(t.id, token, 600_000));
  steps.push(() => store.completeTask(t.id, token, { summary: 'ok' }));
}
const start = Date.now();
let i = 0;
// Paced against the clock: after k steps, k / rate seconds should have passed.
while (i < steps.length && Date.now() - start < Number(msArg)) {
  const due = Math.floor(((Date.now() - start) / 1000) * rate);
  while (i < due && i < steps.length) await steps[i++]!();
  await new Promise((r) => setTimeout(r, 2));
}
console.log(`done ${i} ${Date.now() - start}`);
await store.close();
