import { watch, existsSync, type FSWatcher } from 'node:fs';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { BusEvent } from '../bus/index.js';
import type { UiContext } from './context.js';
import { outputPath, readTail, taskInScope } from './queries-task.js';

/** A page this far behind is dropped; its EventSource reconnects and catches up from the bus. */
const MAX_QUEUED = 50_000;

/** Sleeps until woken or until ms pass; its timer never outlives the sleep. */
function napper(): { wake(): void; sleep(ms: number): Promise<void> } {
  let wake: (() => void) | null = null;
  return {
    wake: () => wake?.(),
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
      }),
  };
}

export function streamRoutes(app: Hono, ctx: UiContext): void {
  // The bus's event log, pushed: one SSE message per batch the bus woke us with.
  app.get('/api/stream', (c) => {
    const fromHeader = Number(c.req.header('last-event-id'));
    const fromQuery = Number(c.req.query('after'));
    const after = Number.isInteger(fromHeader) && fromHeader > 0 ? fromHeader : Number.isInteger(fromQuery) && fromQuery >= 0 && c.req.query('after') ? fromQuery : ctx.hub.position;
    return streamSSE(c, async (stream) => {
      let queue: BusEvent[] = [];
      const nap = napper();
      let dropped = false;
      const unsubscribe = await ctx.hub.subscribe(after, {
        push: (events) => {
          queue.push(...events);
          if (queue.length > MAX_QUEUED) dropped = true;
          nap.wake();
        },
        drop: () => {
          dropped = true;
          nap.wake();
        },
      });
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        nap.wake();
      });
      try {
        await stream.writeSSE({ event: 'hello', data: JSON.stringify({ position: ctx.hub.position }), id: String(after) });
        while (!closed && !dropped) {
          if (queue.length === 0) {
            await nap.sleep(15_000); // a comment now and then keeps proxies from closing an idle stream
            if (queue.length === 0 && !closed) await stream.write(': idle\n\n');
            continue;
          }
          const batch = queue;
          queue = [];
          await stream.writeSSE({ event: 'bus', data: JSON.stringify(batch), id: String(batch.at(-1)!.id) });
        }
      } finally {
        unsubscribe();
      }
    });
  });

  // An attempt's agent output as it is written: what is there, then every append.
  app.get('/api/tasks/:id/output/stream', async (c) => {
    const task = await taskInScope(ctx.store, ctx.scope, c.req.param('id'));
    const attempt = Number(c.req.query('attempt') ?? task.attempt);
    const path = outputPath(ctx.home, task, attempt);
    return streamSSE(c, async (stream) => {
      let closed = false;
      const nap = napper();
      let watcher: FSWatcher | null = null;
      stream.onAbort(() => {
        closed = true;
        nap.wake();
      });
      let offset: number | undefined;
      try {
        while (!closed) {
          if (path && existsSync(path)) {
            watcher ??= watch(path, () => nap.wake());
            const { size, text } = readTail(path, offset);
            if (text.length > 0 || offset === undefined) await stream.writeSSE({ event: 'output', data: JSON.stringify({ text, reset: offset === undefined }) });
            offset = size;
          }
          // The watcher wakes us on writes; the timer is the backstop (and finds a file created later).
          await nap.sleep(1000);
        }
      } finally {
        watcher?.close();
      }
    });
  });
}
