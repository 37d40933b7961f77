import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../bus/index.js';
import { DaedalusError } from '../common/index.js';

/**
 * What a run was created with (plan, permission policies, repository) is bound to its id and scope
 * by an HMAC whose key stays in $DAEDALUS_HOME, off the bus. Whoever can write the bus but not read
 * the supervisor's home (an agent on another machine with the PostgreSQL address, say) cannot
 * change what a later `--resume` executes without the resume noticing. It is no defence against a
 * process that can read the home as well: see docs/security.md.
 */

const KEY_FILE = 'run-key';
const SCHEME = 'hmac-sha256:';

/** JSON with object keys sorted, so equal values digest equally whatever order they were built in. */
function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Hosts that share one bus share one key: DAEDALUS_RUN_KEY_FILE names a copy of the key file that
 * every host keeps (docs/multi-machine.md). The key itself never goes on the bus.
 */
export const RUN_KEY_ENV = 'DAEDALUS_RUN_KEY_FILE';

function keyPath(home: string): string {
  return process.env[RUN_KEY_ENV]?.trim() || join(home, KEY_FILE);
}

function readKey(home: string): Buffer | null {
  try {
    const hex = readFileSync(keyPath(home), 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : null;
  } catch {
    return null;
  }
}

/** The home's key, made on first use. Linked into place so two first runs at once agree on one key. */
function keyFor(home: string): Buffer {
  const existing = readKey(home);
  if (existing) return existing;
  const named = process.env[RUN_KEY_ENV]?.trim();
  if (named) {
    // A named key is the one the other hosts hold: making a new one here would split them.
    throw new DaedalusError('INVALID_STATE', `${RUN_KEY_ENV} names ${named}, which is not a run key (missing, or not 64 hex digits)`, `copy the run-key file of the host that made it to ${named}, or unset ${RUN_KEY_ENV}`);
  }
  mkdirSync(home, { recursive: true });
  const tmp = join(home, `${KEY_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
  writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  try {
    linkSync(tmp, join(home, KEY_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  const key = readKey(home);
  if (!key) throw new DaedalusError('INVALID_STATE', `${join(home, KEY_FILE)} is not a run key`, 'remove it; Daedalus makes a new one (runs recorded with the old one can then not be resumed)');
  return key;
}

export interface DigestInput {
  scope: string;
  runId: string;
  repo: string;
  plan: Json;
  policies: Json;
}

function mac(key: Buffer, d: DigestInput): string {
  const text = canonical({ v: 1, scope: d.scope, runId: d.runId, repo: d.repo, plan: d.plan, policies: d.policies });
  return SCHEME + createHmac('sha256', key).update(text).digest('hex');
}

export function runDigest(home: string, d: DigestInput): string {
  return mac(keyFor(home), d);
}

/** Refuses a run whose plan, policies or repository are not what it was created with. */
export function checkRunDigest(home: string, d: DigestInput, recorded: string): void {
  const key = readKey(home);
  if (!key) {
    throw new DaedalusError(
      'INVALID_STATE',
      `cannot check the record of run ${d.runId}: the key it was recorded with (${keyPath(home)}) is missing`,
      'resume with the DAEDALUS_HOME the run was started with, or start the run again from its plan',
    );
  }
  const expected = Buffer.from(mac(key, d));
  const got = Buffer.from(recorded);
  if (expected.length !== got.length || !timingSafeEqual(expected, got)) {
    throw new DaedalusError(
      'INVALID_STATE',
      `the record of run ${d.runId} on the bus was changed after the run was created: its plan, permissions or repository no longer match the digest recorded with it`,
      'refusing to resume it; start the run again from its plan file, and see docs/security.md about who can write the bus',
    );
  }
}
