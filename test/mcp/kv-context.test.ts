import { describe, expect, test } from 'vitest';
import { type Loose, useAgents } from './helpers.js';

describe('shared memory and file notes', () => {
  const { agent, bus: currentBus } = useAgents();

  test('kv compare-and-set lets exactly one of two writers win; append builds a list', async () => {
    const a = await agent('worker');
    const b = await agent('worker');

    expect(await a.ok('kv_get', { key: 'api/schema' })).toEqual({ key: 'api/schema', exists: false, version: 0, value: null });
    expect((await a.ok('kv_set', { key: 'api/schema', value: { v: 1 }, expected_version: 0 })).version).toBe(1);
    const again = await b.call('kv_set', { key: 'api/schema', value: { v: 'b' }, expected_version: 0 });
    expect(again.text).toMatch(/^VERSION_CONFLICT: kv api\/schema is at version 1, not 0 — read it again/);

    const both = await Promise.all([
      a.call('kv_set', { key: 'api/schema', value: 'from a', expected_version: 1 }),
      b.call('kv_set', { key: 'api/schema', value: 'from b', expected_version: 1 }),
    ]);
    expect(both.filter((r) => r.isError).map((r) => r.text.split(':')[0])).toEqual(['VERSION_CONFLICT']);
    const winner = both.find((r) => !r.isError)!;
    const got = await b.ok('kv_get', { key: 'api/schema' });
    expect(got).toMatchObject({ exists: true, version: 2, updated_by: winner.json.updated_by });
    expect(got.value).toBe(winner === both[0] ? 'from a' : 'from b');

    await Promise.all([a.ok('kv_append', { key: 'log', item: { n: 1 } }), b.ok('kv_append', { key: 'log', item: { n: 2 } })]);
    expect((await a.ok('kv_append', { key: 'log', item: null })).length).toBe(3);
    expect((await a.ok('kv_get', { key: 'log' })).value).toHaveLength(3);
    expect((await a.call('kv_append', { key: 'api/schema', item: 1 })).text).toMatch(/^NOT_AN_ARRAY: /);

    const keys = await a.ok('kv_list', { prefix: 'api/' });
    expect(keys.entries).toEqual([expect.objectContaining({ key: 'api/schema', version: 2 })]);
    expect(keys.entries[0].value).toBeUndefined();
    expect((await a.ok('kv_list', { include_values: true })).entries.map((e: { key: string }) => e.key)).toEqual(['api/schema', 'log']);

    expect((await a.call('kv_delete', { key: 'api/schema', expected_version: 1 })).text).toMatch(/^VERSION_CONFLICT/);
    expect(await a.ok('kv_delete', { key: 'api/schema', expected_version: 2 })).toEqual({ key: 'api/schema', deleted: true });
    expect(await a.ok('kv_delete', { key: 'api/schema' })).toEqual({ key: 'api/schema', deleted: false });
  });

  test('notes pinned with annotate are found by file, directory, kind and text, and shown by check_file', async () => {
    const planner = await agent('planner');
    const worker = await agent('worker');
    const t = (await planner.ok('request_task', { title: 'parser' })).task.id as string;
    await worker.ok('claim_task', { task_id: t });

    const a = await worker.ok('annotate', { file: './src/parse/a.ts', line: 3, kind: 'hazard', text: 'Global state: reset between tests' });
    expect(a.annotation).toMatchObject({ file: 'src/parse/a.ts', line: 3, kind: 'hazard', task: t, by: worker.ctx.session.identity!.id });
    await planner.ok('annotate', { file: `${currentBus().root}/src/parse/b.ts`, kind: 'note', text: 'owned by the parser team' });
    await planner.ok('annotate', { file: 'README.md', kind: 'todo', text: 'document the parser' });

    const files = (r: Loose) => r.annotations.map((x: { file: string }) => x.file);
    expect(files(await worker.ok('search_context', { file: 'src/parse' }))).toEqual(['src/parse/b.ts', 'src/parse/a.ts']);
    expect(files(await worker.ok('search_context', { kind: 'hazard' }))).toEqual(['src/parse/a.ts']);
    expect(files(await worker.ok('search_context', { text: 'GLOBAL STATE' }))).toEqual(['src/parse/a.ts']);
    expect(files(await worker.ok('search_context', { text: 'parser', limit: 1 }))).toEqual(['README.md']);
    expect((await worker.ok('check_file', { path: 'src/parse/a.ts' })).annotations).toHaveLength(1);

    expect((await worker.call('annotate', { file: '../outside.ts', kind: 'note', text: 'x' })).text).toMatch(/^PATH_ESCAPE: /);
    expect((await worker.call('annotate', { file: 'a.ts', kind: 'rumour', text: 'x' })).text).toMatch(/^INVALID_INPUT: .*kind/);
  });
});
