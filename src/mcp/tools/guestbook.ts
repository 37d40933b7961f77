import { z } from 'zod';
import { signGuestbook } from '../guestbook.js';
import { tool, type AnyTool } from '../tool.js';

export const guestbookTools: AnyTool[] = [
  tool({
    name: 'sign_guestbook',
    description:
      "Leave your mark in the project's ICARUS_GUESTBOOK.md: an insight, a realization, something that felt important while you worked. " +
      'Signed with your instance, task and the time; kept in the main checkout and on the bus. Optional, and not a progress report.',
    input: z.strictObject({
      text: z.string().min(1).max(4000).describe('Your entry, in your own words (markdown).'),
    }),
    async run(args, { ctx, me }) {
      const signed = await signGuestbook(ctx.store, { scope: me.scope, instanceId: me.id, label: me.label, taskId: ctx.session.currentTaskId, runId: ctx.runId }, args.text);
      return signed.file
        ? { signed: true, file: signed.file, at: signed.at }
        : { signed: true, file: null, at: signed.at, note: 'the project checkout is not on this machine; your entry is kept on the bus (kv daedalus:guestbook)' };
    },
  }),
];
