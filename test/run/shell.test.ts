import { describe, expect, it } from 'vitest';
import { defaults, useRunWorld } from './helpers.js';

describe('the shell harness in a run', () => {
  const w = useRunWorld();

  it('merges what a command that exits 0 leaves behind, and fails one that exits 3 with its last output', async () => {
    const plan = await w.plan(`
plan: shell
defaults: ${defaults({ harness: 'shell', max_attempts: 1 })}
packages:
  - id: hello
    description: writes a file
    run: "echo hi > out.txt"
  - id: sad
    description: gives up
    run: "echo checking the build; echo 'it is broken' >&2; exit 3"
`);
    const r = await w.run(plan, { runId: 'shell' });
    const by = new Map(r.report.tasks.map((t) => [t.id, t]));
    expect(by.get('hello')).toMatchObject({ state: 'done', filesChanged: ['out.txt'] });
    expect(await w.repo.git(['show', 'daedalus/shell/integration:out.txt'])).toBe('hi\n');
    const sad = by.get('sad')!;
    expect(sad).toMatchObject({ state: 'failed', failureKind: 'exit-code' });
    expect(sad.error).toMatch(/exited with code 3/);
    expect(sad.error).toContain('checking the build');
    expect(sad.error).toContain('it is broken');
  });
});
