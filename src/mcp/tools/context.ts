import { z } from 'zod';
import { ANNOTATION_KINDS, type AnnotationKind } from '../../bus/index.js';
import { tool, type AnyTool } from '../tool.js';
import { annotationLine } from '../views.js';
import { filePath, logicalPath, optionalTaskId, scopedTask } from './common.js';

const kind = z.enum(ANNOTATION_KINDS as [AnnotationKind, ...AnnotationKind[]]);

export const contextTools: AnyTool[] = [
  tool({
    name: 'annotate',
    description:
      'Pin a note to a file (and line) for other agents: finding, warning, note, bug, todo, progress, usage or hazard. ' +
      'Use it for things the next person touching the file must know; check_file and search_context show them.',
    input: z.strictObject({
      file: filePath.describe('File or directory, relative to your worktree root.'),
      line: z.number().int().min(1).optional(),
      kind: kind.describe('finding | warning | note | bug | todo | progress | usage | hazard'),
      text: z.string().min(1).describe('The note.'),
      task_id: optionalTaskId,
    }),
    async run(args, { ctx, me }) {
      const file = logicalPath(me, args.file);
      const taskId = args.task_id ?? ctx.session.currentTaskId;
      if (args.task_id) await scopedTask(ctx, me, args.task_id);
      const a = await ctx.store.annotate({ scope: me.scope, file, line: args.line ?? null, kind: args.kind, text: args.text, by: me.id, taskId });
      return { annotation: annotationLine(a) };
    },
  }),
  tool({
    name: 'search_context',
    description: 'Search the notes agents pinned to files: by file or directory, kind, and/or text (case-insensitive substring). Newest first.',
    input: z.strictObject({
      file: filePath.optional().describe('A file, or a directory for everything under it.'),
      kind: kind.optional(),
      text: z.string().min(1).max(500).optional(),
      limit: z.number().int().min(1).max(100).optional().describe('Default 20.'),
    }),
    readOnly: true,
    async run(args, { ctx, me }) {
      const file = args.file === undefined ? undefined : logicalPath(me, args.file);
      const list = await ctx.store.searchAnnotations(me.scope, { file: file === '.' ? undefined : file, kind: args.kind, text: args.text, limit: args.limit ?? 20 });
      return { annotations: list.map(annotationLine) };
    },
  }),
];
