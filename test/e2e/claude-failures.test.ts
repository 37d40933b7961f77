import { describe, expect, test } from 'vitest';
import { claudeHarness } from '../../src/harness/claude/index.js';
import type { Harness } from '../../src/harness/index.js';
import { useE2eWorld, withForgedMcpToken } from './helpers.js';

const w = useE2eWorld();

const planFor = (env: Record<string, string>, extra: { pkg?: Record<string, unknown>; defaults?: Record<string, unknown> } = {}) =>
  w.plan({
    plan: 'claude-failures',
    defaults: { harness: 'claude', max_attempts: 1, timeout: '60s', idle_timeout: '45s', env, ...extra.defaults },
    packages: [{ id: 'job', description: 'Do the job.', inputs: { files: ['out.txt'] }, ...extra.pkg }],
  });

describe('claude harness: how attempts fail', () => {
  test('an MCP server that does not connect fails the attempt at once, with the reason in the task error', async () => {
    w.script([{ calls: [{ tool: 'daedalus:whoami', input: {} }] }, { text: 'Done.' }]);
    const broken: Harness = { ...claudeHarness, launch: (spec) => claudeHarness.launch({ ...spec, daedalus: ['/nonexistent/daedalus-cli'], hostedMcp: undefined }) };
    const started = Date.now();
    const result = await w.run(planFor(w.claudeEnv()), { harnesses: { claude: broken } });
    const task = result.report.tasks[0]!;
    expect(task.state).toBe('failed');
    expect(task.error).toMatch(/the daedalus MCP server did not connect: status failed/);
    // Stopped at its init line, long before the 45 s idle timeout (a first request may already be on its way).
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(w.server.turns().length).toBeLessThanOrEqual(1);
  });

  test('a session of the MCP host that refuses the agent fails the attempt at once, with the reason in the task error', async () => {
    w.script([{ calls: [{ tool: 'daedalus:whoami', input: {} }] }, { text: 'Done.' }]);
    const forged = withForgedMcpToken(claudeHarness);
    const result = await w.run(planFor(w.claudeEnv()), { harnesses: { claude: forged } });
    const task = result.report.tasks[0]!;
    expect(task.state).toBe('failed');
    expect(task.error).toMatch(/the daedalus MCP server did not connect: status (failed|needs-auth)/);
    expect(w.server.turns().length).toBeLessThanOrEqual(1);
  });

  test('an agent that exits without complete_task fails its task, quoting its last output', async () => {
    w.script([{ calls: [{ tool: 'daedalus:whoami', input: {} }] }, { text: 'I cannot find the job description anywhere, stopping here.' }]);
    const result = await w.run(planFor(w.claudeEnv()));
    const task = result.report.tasks[0]!;
    expect(task.state).toBe('failed');
    expect(task.failureKind).toBe('exit-code');
    expect(task.error).toMatch(/the agent exited without completing its task/);
    expect(task.error).toContain('I cannot find the job description anywhere');
  });

  test("a tool use denied by the plan's policy reaches the model as a denial, even when the package replaced the plan's list", async () => {
    w.script([
      { calls: [{ tool: 'Bash', input: { command: 'git push origin HEAD', description: 'publish' } }] },
      { calls: [{ tool: 'daedalus:fail_task', input: { error: 'not allowed to publish', retryable: false } }] },
      { text: 'Stopped.' },
    ]);
    const plan = planFor(w.claudeEnv(), { defaults: { permissions: ['Read', '!Bash(git push:*)'] }, pkg: { permissions: ['Read', 'Edit'] } });
    const result = await w.run(plan);
    const denial = w.server.turns()[1]!.ctx!.results[0]!;
    expect(denial.isError).toBe(true);
    expect(denial.text).toMatch(/Bash\(git push origin HEAD\) is denied by the plan's rule !Bash\(git push:\*\)/);
    expect(result.report.tasks[0]!.error).toBe('not allowed to publish');
  });

  test('a request no rule settles waits for a person: approved through `daedalus approvals`, the command runs', async () => {
    const { decideApproval, listApprovals } = await import('../../src/approvals/index.js');
    const { openStore } = await import('../../src/bus/index.js');
    const store = await openStore(w.bus);
    w.script([
      { calls: [{ tool: 'Bash', input: { command: `node -e "require('fs').writeFileSync('out.txt', 'approved-by-a-person\\n'); console.log('wrote it')"`, description: 'write it' } }] },
      { calls: [{ tool: 'daedalus:complete_task', input: { summary: 'wrote out.txt with permission' } }] },
      { text: 'Done.' },
    ]);
    const plan = planFor(w.claudeEnv(), { pkg: { permissions: ['Read', 'Edit'] } });
    const running = w.run(plan);
    let pending: Awaited<ReturnType<typeof listApprovals>> = [];
    for (let i = 0; i < 200 && pending.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      pending = await listApprovals(store, w.scope);
    }
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ tool: 'Bash', status: 'pending', taskId: expect.stringMatching(/:job$/) });
    expect(pending[0]!.summary).toMatch(/^Bash\(node -e /);
    await decideApproval(store, w.scope, pending[0]!.id, 'allow', { by: 'user:test' });
    await store.close();
    const result = await running;
    expect(result.report.status).toBe('done');
    const ran = w.server.turns()[1]!.ctx!.results[0]!;
    expect(ran.isError).toBe(false);
    expect(ran.text).toContain('wrote it');
    expect(await w.repo.git(['show', `daedalus/${result.runId}/integration:out.txt`])).toBe('approved-by-a-person\n');
  });

  test('a request nobody answers is denied at the approval timeout', async () => {
    w.script([
      { calls: [{ tool: 'Bash', input: { command: 'curl https://example.com', description: 'fetch' } }] },
      { calls: [{ tool: 'daedalus:complete_task', input: { summary: 'gave up on fetching' } }] },
      { text: 'Done.' },
    ]);
    const result = await w.run(planFor({ ...w.claudeEnv(), DAEDALUS_APPROVAL_TIMEOUT: '1s' }, { pkg: { permissions: ['Read'] } }));
    expect(result.report.status).toBe('done');
    const denial = w.server.turns()[1]!.ctx!.results[0]!;
    expect(denial.isError).toBe(true);
    expect(denial.text).toMatch(/Bash\(curl https:\/\/example\.com\) was denied by daedalus \(timeout\): nobody decided within 1s/);
  });
});
