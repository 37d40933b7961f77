import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_SHAPES, writePlan } from '../../bench/lib/plans.js';

const run = promisify(execFile);
const cli = new URL('../../dist/cli/main.js', import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'daedalus-large-plans-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Memory, not time: analysis that keeps every task's set of transitive dependents needs V² entries
 * (gigabytes at 8,000 packages), and a document model of the YAML ~150 MB. A fixed 64 MB heap is
 * deterministic on a busy machine: the CLI either fits or dies with "heap out of memory".
 */
describe('plans of 8,000 packages are checked and shown within a 64 MB heap', () => {
  it.each(PLAN_SHAPES)('%s', async (shape) => {
    const file = await writePlan(dir, shape, 8000);
    const flags = ['--max-old-space-size=64', cli, 'plan'];
    const check = await run(process.execPath, [...flags, 'check', file], { maxBuffer: 64 * 2 ** 20 });
    expect(check.stdout).toContain('8000 package(s)');
    const show = await run(process.execPath, [...flags, 'show', '--json', file], { maxBuffer: 256 * 2 ** 20 });
    const report = JSON.parse(show.stdout) as { layers: { id: string }[][]; schedule: unknown[]; criticalPath: { ids: string[] } };
    expect(report.layers.flat()).toHaveLength(8000);
    expect(report.schedule).toHaveLength(8000);
    if (shape === 'chain') expect(report.criticalPath.ids).toHaveLength(8000);
    if (shape === 'flat') expect(report.layers).toHaveLength(1);
  }, 120_000);
});
