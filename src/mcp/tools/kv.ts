import { z } from 'zod';
import { DaedalusError } from '../../common/index.js';
import { iso } from '../result.js';
import { tool, type AnyTool } from '../tool.js';
import { kvLine } from '../views.js';
import { asJson, jsonValue } from './common.js';

const key = z.string().min(1).max(512).describe('Key; use prefixes as namespaces, e.g. "api/schema".');
const ttl = z.number().positive().max(30 * 24 * 3600).optional().describe('Expire after this many seconds (default never).');
const version = z.number().int().min(0);

/**
 * Keys under `daedalus:` belong to Daedalus itself (the guestbook today, whatever it keeps there
 * tomorrow): agents may read them, never write them. Compared without case, so `Daedalus:` is no
 * way around it.
 */
export const RESERVED_KV_PREFIX = 'daedalus:';

function writable(key: string): string {
  if (key.toLowerCase().startsWith(RESERVED_KV_PREFIX)) {
    throw new DaedalusError(
      'FORBIDDEN',
      `kv keys starting with "${RESERVED_KV_PREFIX}" are reserved for Daedalus; agents may read them but not write them`,
      'use a key of your own namespace, e.g. "notes/…" or "api/schema"',
      { key },
    );
  }
  return key;
}

export const kvTools: AnyTool[] = [
  tool({
    name: 'kv_get',
    description: 'Read a key of the shared memory. Returns value and version (version 0 and exists:false when absent); pass the version to kv_set for compare-and-set.',
    input: z.strictObject({ key }),
    readOnly: true,
    async run(args, { ctx, me }) {
      const e = await ctx.store.kvGet(me.scope, args.key);
      if (!e) return { key: args.key, exists: false, version: 0, value: null };
      return { key: e.key, exists: true, version: e.version, value: e.value, updated_by: e.updatedBy, updated_at: iso(e.updatedAt), expires_at: iso(e.expiresAt) };
    },
  }),
  tool({
    name: 'kv_set',
    description:
      'Write a JSON value to a key (keys starting with "daedalus:" are reserved: FORBIDDEN). With expected_version it is a compare-and-set: 0 means "only if absent", N means "only if still at version N"; a mismatch is VERSION_CONFLICT with the current version.',
    input: z.strictObject({ key, value: jsonValue.describe('Any JSON value.'), expected_version: version.optional(), ttl_seconds: ttl }),
    async run(args, { ctx, me }) {
      const e = await ctx.store.kvSet(me.scope, writable(args.key), asJson(args.value), {
        expectedVersion: args.expected_version,
        ttlMs: args.ttl_seconds === undefined ? null : Math.round(args.ttl_seconds * 1000),
        by: me.id,
      });
      return kvLine(e, false);
    },
  }),
  tool({
    name: 'kv_append',
    description: 'Append one JSON item to the array stored at a key (created when absent), atomically; safe for many writers. NOT_AN_ARRAY if the key holds something else; FORBIDDEN under the reserved "daedalus:" prefix.',
    input: z.strictObject({ key, item: jsonValue.describe('The JSON item to append.'), ttl_seconds: ttl }),
    async run(args, { ctx, me }) {
      const e = await ctx.store.kvAppend(me.scope, writable(args.key), asJson(args.item), {
        by: me.id,
        ttlMs: args.ttl_seconds === undefined ? null : Math.round(args.ttl_seconds * 1000),
      });
      return { ...kvLine(e, false), length: Array.isArray(e.value) ? e.value.length : null };
    },
  }),
  tool({
    name: 'kv_delete',
    description: 'Delete a key; with expected_version only if it is still at that version (VERSION_CONFLICT otherwise). Keys under "daedalus:" are reserved (FORBIDDEN).',
    input: z.strictObject({ key, expected_version: version.optional() }),
    async run(args, { ctx, me }) {
      const deleted = await ctx.store.kvDelete(me.scope, writable(args.key), { expectedVersion: args.expected_version, by: me.id });
      return { key: args.key, deleted };
    },
  }),
  tool({
    name: 'kv_list',
    description: 'Keys of the shared memory starting with a prefix, in key order, with versions (values only when include_values is true).',
    input: z.strictObject({
      prefix: z.string().max(512).optional(),
      include_values: z.boolean().optional().describe('Default false: keys and versions only.'),
      limit: z.number().int().min(1).max(500).optional().describe('Default 100.'),
    }),
    readOnly: true,
    async run(args, { ctx, me }) {
      const limit = args.limit ?? 100;
      const list = await ctx.store.kvList(me.scope, args.prefix ?? '', limit);
      return { entries: list.map((e) => kvLine(e, args.include_values ?? false)), more: list.length === limit };
    },
  }),
];
