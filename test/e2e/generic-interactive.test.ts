import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { genericHarness } from '../../src/harness/generic.js';
import { recording, useE2eWorld } from './helpers.js';

const exec = promisify(execFile);
const w = useE2eWorld();
const MINI = resolve('test/e2e/fixtures/mini-agent.mjs');

const planFor = (mode: 'headless' | 'interactive', args = '') =>
  w.plan({
    plan: `generic-${mode}`,
    defaults: { harness: 'generic', mode, max_attempts: 1, timeout: '60s', env: { DAEDALUS_INTERACTIVE_LINGER: '60s' } },
    packages: [{ id: 'gen', description: 'Write generic.txt.', run: `${JSON.stringify(process.execPath)} ${JSON.stringify(MINI)} {prompt_file} {mcp_config} ${args}`.trim() }],
  });

async function tmuxServerAlive(socket: string): Promise<boolean> {
  return exec('tmux', ['-L', socket, 'list-sessions']).then(
    () => true,
    () => false,
  );
}

describe('generic harness, headless and in tmux', () => {
  test('a command template gets the prompt file and an mcpServers config, and completes through the bus', async () => {
    const rec = recording(genericHarness);
    const result = await w.run(planFor('headless'), { harnesses: { generic: rec.harness } });
    expect(result.report.status, result.report.tasks[0]?.error ?? '').toBe('done');
    expect(await w.repo.git(['show', `daedalus/${result.runId}/integration:generic.txt`])).toMatch(new RegExp(`^written by i-\\S+ for ${result.runId}:gen\\n$`));
    const config = JSON.parse(readFileSync(join(rec.specs[0]!.attemptDir, 'mcp.json'), 'utf8')) as { mcpServers: { daedalus: { args: string[]; env: Record<string, string> } } };
    expect(config.mcpServers.daedalus.args.at(-1)).toBe('mcp');
    expect(config.mcpServers.daedalus.env).toMatchObject({ DAEDALUS_TASK_ID: `${result.runId}:gen`, DAEDALUS_BUS: w.bus });
  });

  test('a template agent that exits without complete_task fails the task', async () => {
    const result = await w.run(planFor('headless', '--exit-early'));
    expect(result.report.tasks[0]).toMatchObject({ state: 'failed', failureKind: 'exit-code' });
    expect(result.report.tasks[0]!.error).toMatch(/exited without completing its task[\s\S]*report_progress/);
  });

  test('interactive: the agent runs in a pane of the run’s private tmux server; its pgid is the pane’s; completion comes from the bus', async () => {
    const rec = recording(genericHarness);
    const result = await w.run(planFor('interactive'), { harnesses: { generic: rec.harness } });
    expect(result.report.status, result.report.tasks[0]?.error ?? '').toBe('done');
    const dir = rec.specs[0]!.attemptDir;
    const pane = JSON.parse(readFileSync(join(dir, 'pane.json'), 'utf8')) as { socket: string; pid: number; paneId: string };
    expect(pane.socket).toBe(`daedalus-${result.runId}`);
    expect(rec.procs[0]!.pgid).toBe(pane.pid);
    expect(readFileSync(join(dir, 'exit-status'), 'utf8').trim()).toBe('0');
    // The template got the prompt as a file; the pane's output was logged.
    expect(readFileSync(join(dir, 'launch.sh'), 'utf8')).toContain(`'\\''${join(dir, 'prompt.md')}'\\''`);
    expect(readFileSync(join(dir, 'output.log'), 'utf8')).toContain('mini-agent done');
    // The pane closed with its agent, and the server with its last pane.
    expect(await tmuxServerAlive(pane.socket)).toBe(false);
    expect(await w.repo.git(['show', `daedalus/${result.runId}/integration:generic.txt`])).toMatch(/^written by /);
  });

  test('interactive: an agent that does not finish is stopped at its timeout, pane and all', async () => {
    const plan = w.plan({
      plan: 'generic-hang',
      defaults: { harness: 'generic', mode: 'interactive', max_attempts: 1, timeout: '2s' },
      packages: [{ id: 'hang', description: 'Hang.', run: 'echo started; sleep 600' }],
    });
    const rec = recording(genericHarness);
    const result = await w.run(plan, { harnesses: { generic: rec.harness } });
    expect(result.report.tasks[0]).toMatchObject({ state: 'failed', failureKind: 'timeout' });
    expect(result.report.tasks[0]!.error).toContain('started');
    const pane = JSON.parse(readFileSync(join(rec.specs[0]!.attemptDir, 'pane.json'), 'utf8')) as { socket: string; pid: number };
    expect(existsSync(`/proc/${pane.pid}`)).toBe(false);
    expect(await tmuxServerAlive(pane.socket)).toBe(false);
  });
});
