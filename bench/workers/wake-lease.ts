// One side of the supervisor's own wake-up in bench/wake.bench.ts, on the bus code of ROOT (ours,
// or a checkout to compare with). Cues on stdin, one JSON line per answer on stdout.
//   completer: `prepare` creates a task held by itself and a dependent of it; `complete` finishes
//              the held task and says when it started (epoch ms).
//   claimer:   `wait` says `waiting`, then waits for a task.ready and claims the dependent the
//              way the executor does (waitForEvents, then claimNext), and says when it held it.
import { createInterface } from 'node:readline';
import type { Lease, Store } from '../../src/bus/index.js';

const [role, root, address, scope] = process.argv.slice(2) as ['completer' | 'claimer', string, string, string];
const { openStore } = (await import(`${root}/src/bus/index.ts`)) as { openStore: (a: string) => Promise<Store> };
const store = await openStore(address);
const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const now = () => performance.timeOrigin + performance.now();
const cues = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const cue = async () => String((await cues.next()).value ?? '');
// A wake-up count where the code has one (the code compared with may not).
const backstopWakes = () => (typeof store.wakeStats === 'function' ? store.wakeStats().backstopWakes : null);

if (role === 'completer') {
  let held: Lease | null = null;
  say({ ready: true });
  for (let n = 0; ; n++) {
    const c = await cue();
    if (c === 'prepare') {
      const [first, second] = await store.createTasks(scope, [
        { title: `held ${n}`, assignee: 'completer' },
        { title: `dependent ${n}`, dependsOn: ['$1'] },
      ]);
      held = await store.claim(first!.id, 'completer', 600_000);
      say({ dependent: second!.id });
    } else if (c === 'complete') {
      const t0 = now();
      await store.completeTask(held!.task.id, held!.token, { n });
      say({ t0 });
    } else break;
  }
} else {
  let cursor = await store.lastEventId(scope);
  // Arm the wake-up source before the first sample, so no sample measures a cold start.
  await store.waitForEvents(scope, { after: cursor, timeoutMs: 0 });
  say({ ready: true });
  while ((await cue()) === 'wait') {
    say({ waiting: true });
    for (;;) {
      const r = await store.waitForEvents(scope, { after: cursor, types: ['task.ready'], timeoutMs: 60_000 });
      cursor = r.cursor;
      if (r.timedOut) {
        say({ error: 'no task.ready within 60 s' });
        break;
      }
      const lease = await store.claimNext({ scope, owner: 'claimer', leaseMs: 600_000 });
      if (lease) {
        const at = now();
        await store.completeTask(lease.task.id, lease.token, null);
        say({ at, task: lease.task.id, backstopWakes: backstopWakes() });
        break;
      }
    }
  }
}
await store.close();
process.exit(0);
