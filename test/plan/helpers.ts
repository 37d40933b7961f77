import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { DaedalusError } from '../../src/common/errors.js';
import type { Plan } from '../../src/plan/index.js';
import { planCheck } from '../../src/plan/index.js';

/** Writes files (path → text) into a fresh temp directory; messages then show paths relative to it. */
export async function tempFiles(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'daedalus-plan-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

export async function checkText(text: string, name = 'plan.yaml', harnesses?: string[]): Promise<Plan> {
  const cwd = await tempFiles({ [name]: text });
  return planCheck({ file: name, cwd, ...(harnesses ? { harnesses } : {}) });
}

/** The error a plan text produces; asserts it is one clear DaedalusError line with a hint. */
export async function planError(text: string, code: 'PLAN_INVALID' | 'PLAN_CYCLE' = 'PLAN_INVALID', name = 'plan.yaml'): Promise<DaedalusError> {
  const err = await checkText(text, name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DaedalusError);
  const e = err as DaedalusError;
  expect(e.code).toBe(code);
  expect(e.message).not.toContain('\n');
  expect(e.message).not.toMatch(/\bat .*\.ts:\d+/);
  expect(e.hint ?? '').not.toBe('');
  return e;
}

/** A valid package block to build bad plans around. */
export const okPackage = (id: string, extra = ''): string => `  - id: ${id}\n    description: do ${id}\n${extra}`;
