import type { Context, Hono } from 'hono';
import { decideApproval } from '../approvals/index.js';
import { DaedalusError } from '../common/index.js';
import type { UiContext } from './context.js';
import { findRun } from './queries-runs.js';
import { approvalView } from './queries-swarm.js';
import { taskInScope } from './queries-task.js';

/** A JSON object body, or INVALID_INPUT naming what is wrong. */
async function body(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new DaedalusError('INVALID_INPUT', 'the request body is not JSON', 'send a JSON object');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new DaedalusError('INVALID_INPUT', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

function text(b: Record<string, unknown>, field: string, opts: { required?: boolean; max?: number } = {}): string | null {
  const v = b[field];
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw new DaedalusError('INVALID_INPUT', `${field} is required`);
    return null;
  }
  if (typeof v !== 'string') throw new DaedalusError('INVALID_INPUT', `${field} must be text`);
  const max = opts.max ?? 2000;
  if (v.length > max) throw new DaedalusError('INVALID_INPUT', `${field} is ${v.length} characters; at most ${max}`);
  return v;
}

/** Steering: what a person may change from the page. Every change is a bus operation by `human:USER`. */
export function steerRoutes(app: Hono, ctx: UiContext): void {
  const { store, scope, user } = ctx;

  app.post('/api/tasks/:id/cancel', async (c) => {
    const task = await taskInScope(store, scope, c.req.param('id'));
    const reason = text(await body(c), 'reason') ?? `cancelled by ${user} from the dashboard`;
    return c.json(await store.cancelTask(task.id, { by: user, reason }));
  });

  app.post('/api/tasks/:id/retry', async (c) => {
    const task = await taskInScope(store, scope, c.req.param('id'));
    return c.json(await store.retryTask(task.id, { by: user }));
  });

  const pause = (paused: boolean) => async (c: Context) => {
    const b = await body(c);
    const runId = text(b, 'runId', { max: 500 });
    if (runId !== null) await findRun(store, scope, runId); // NOT_FOUND for a run that is not here
    if (paused) return c.json(await store.pauseRun(scope, runId, { by: user, reason: text(b, 'reason') }));
    return c.json({ resumed: await store.resumeRun(scope, runId, { by: user }) });
  };
  app.post('/api/pause', pause(true));
  app.post('/api/resume', pause(false));

  app.post('/api/messages', async (c) => {
    const b = await body(c);
    const to = text(b, 'to', { required: true, max: 500 })!;
    const message = text(b, 'body', { required: true, max: 20_000 })!;
    if (to !== '*' && !/^role:[\w.-]+$/.test(to)) {
      const inst = await store.getInstance(to);
      if (!inst || inst.scope !== scope) throw new DaedalusError('NOT_FOUND', `no instance ${to} here`, 'send to an instance id, role:NAME or *');
    }
    return c.json(await store.sendMessage({ scope, from: user, to, body: message }));
  });

  app.post('/api/approvals/:id', async (c) => {
    const b = await body(c);
    const decision = text(b, 'decision', { required: true });
    if (decision !== 'allow' && decision !== 'deny') throw new DaedalusError('INVALID_INPUT', `decision must be allow or deny, got "${decision}"`);
    const message = text(b, 'message');
    const r = await decideApproval(store, scope, c.req.param('id'), decision, { by: user, ...(message ? { message } : {}) });
    return c.json(approvalView(r));
  });
}
