// Waits for message events and prints, for each, the wall-clock moment it woke (epoch ms, fractional).
import { openStore } from '../../src/bus/index.js';

const [address, scope, countArg] = process.argv.slice(2) as [string, string, string];
const store = await openStore(address);
let cursor = await store.lastEventId(scope);
// Warm the wake-up source before saying ready, so the first sample is not a cold start.
await store.waitForEvents(scope, { after: cursor, timeoutMs: 1 });
process.stdout.write('ready\n');
let seen = 0;
while (seen < Number(countArg)) {
  const r = await store.waitForEvents(scope, { after: cursor, types: ['message.sent'], timeoutMs: 10_000 });
  const at = performance.timeOrigin + performance.now();
  cursor = r.cursor;
  for (const e of r.events) {
    seen++;
    process.stdout.write(`${JSON.stringify({ id: (e.data as { id: number }).id, at })}\n`);
  }
  if (r.timedOut) break;
}
await store.close();
