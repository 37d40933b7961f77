import { userInfo } from 'node:os';
import { decideApproval, formatApprovals, listApprovals } from '../../approvals/index.js';
import { printJson, withBus, type BusCommandOptions } from '../with-bus.js';

/** `daedalus approvals [--all]`: pending requests (all, with --all), oldest first. */
export function approvalsList(opts: BusCommandOptions & { all?: boolean }): Promise<void> {
  return withBus(opts, async (store, scope, out) => {
    const list = await listApprovals(store, scope, { all: opts.all });
    out.out(opts.json ? JSON.stringify(list, null, 2) : formatApprovals(list));
  });
}

const person = () => {
  try {
    return `user:${userInfo().username}`;
  } catch {
    return 'user';
  }
};

/** `daedalus approvals approve|deny ID [-m TEXT]`: the message is what the agent reads. */
export function approvalsDecide(opts: BusCommandOptions & { id: string; decision: 'allow' | 'deny'; message?: string; by?: string }): Promise<void> {
  return withBus(opts, async (store, scope, out) => {
    const r = await decideApproval(store, scope, opts.id, opts.decision, { by: opts.by ?? person(), message: opts.message });
    if (opts.json) printJson(out, r);
    else out.out(`${r.id}: ${r.status}`);
  });
}
