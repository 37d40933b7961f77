import { describe, expect, test } from 'vitest';
import { approvalTimeoutMs, decideApproval, listApprovals, policyForPackage, requestApproval } from '../../src/approvals/requests.js';
import type { Json } from '../../src/bus/index.js';
import type { Plan } from '../../src/plan/index.js';
import { saveRunRecord } from '../../src/records/run-record.js';
import { SCOPE, useAgents } from '../mcp/helpers.js';

const { bus, agent } = useAgents();

const request = { tool: 'Bash', input: { command: 'curl example.com' } as Json, summary: 'Bash(curl example.com)', taskId: null, runId: null, instanceId: null };

/** A run recorded as the supervisor records it, with a plan holding just the fields the policy reads. */
async function putRun(runId: string, defaults: string[], pkg: string[] | undefined) {
  const plan = { defaults: { permissions: defaults }, packages: [{ id: 'p', permissions: pkg ?? defaults }] } as unknown as Plan;
  const record = { runId, plan, repo: bus().root, maxAgents: 1, startedAt: Date.now(), status: 'running' as const, supervisors: [] };
  await saveRunRecord(bus().store, SCOPE, record, { home: bus().dir });
}

describe('approvals on the bus', () => {
  test('a waiting request wakes on the decision, which is final', async () => {
    const store = bus().store;
    let id = '';
    const waiting = requestApproval(store, SCOPE, request, { timeoutMs: 30_000, onPending: (r) => (id = r.id) });
    while (!id) await new Promise((r) => setTimeout(r, 5));
    expect(await listApprovals(store, SCOPE)).toEqual([expect.objectContaining({ id, status: 'pending', summary: 'Bash(curl example.com)' })]);
    const started = Date.now();
    await decideApproval(store, SCOPE, id, 'allow', { by: 'user:ann', message: 'fine once' });
    const decided = await waiting;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(decided).toMatchObject({ id, status: 'allowed', decidedBy: 'user:ann', message: 'fine once' });
    await expect(decideApproval(store, SCOPE, id, 'deny', { by: 'user:bob' })).rejects.toThrow(/already allowed by user:ann/);
    await expect(decideApproval(store, SCOPE, 'ap-nope', 'deny', { by: 'user:bob' })).rejects.toThrow(/no approval request ap-nope/);
    expect(await listApprovals(store, SCOPE)).toEqual([]);
    expect(await listApprovals(store, SCOPE, { all: true })).toHaveLength(1);
  });

  test('an unanswered request is denied at its timeout', async () => {
    const decided = await requestApproval(bus().store, SCOPE, request, { timeoutMs: 300 });
    expect(decided).toMatchObject({ status: 'denied', decidedBy: 'daedalus (timeout)', message: 'nobody decided within 300ms' });
  });

  test('the timeout is a plan duration from DAEDALUS_APPROVAL_TIMEOUT, 5 minutes by default', () => {
    expect(approvalTimeoutMs({})).toBe(300_000);
    expect(approvalTimeoutMs({ DAEDALUS_APPROVAL_TIMEOUT: '90s' })).toBe(90_000);
    expect(approvalTimeoutMs({ DAEDALUS_APPROVAL_TIMEOUT: '2' })).toBe(2000);
    expect(approvalTimeoutMs({ DAEDALUS_APPROVAL_TIMEOUT: 'soon' })).toBe(300_000);
  });

  test("a package's policy: its allow list, and the denials of the plan and the package together", async () => {
    await putRun('r1', ['Read', '!Bash(rm:*)'], ['Edit', '!Bash(git push:*)']);
    expect(await policyForPackage(bus().store, SCOPE, 'r1', 'p')).toEqual({ allow: ['Edit'], deny: ['Bash(rm:*)', 'Bash(git push:*)'] });
    expect(await policyForPackage(bus().store, SCOPE, 'nope', 'p')).toBeNull();
  });
});

describe('the approve_permission tool (Claude Code --permission-prompt-tool)', () => {
  async function worker() {
    await putRun('r1', ['Read', '!Bash(rm:*)'], ['Bash(npm test:*)']);
    await bus().store.createTask(SCOPE, { id: 'r1:p', runId: 'r1', key: 'p', title: 'p' });
    const a = await agent('worker', { env: { DAEDALUS_RUN_ID: 'r1' } });
    await a.ok('claim_task', { task_id: 'r1:p' });
    return a;
  }

  const decision = async (a: Awaited<ReturnType<typeof worker>>, tool_name: string, input: Record<string, unknown>) => {
    const raw = await a.client.callTool({ name: 'approve_permission', arguments: { tool_name, input, tool_use_id: 'toolu_1' } });
    // Claude Code reads exactly one text block, and structured content would replace it.
    expect(raw.structuredContent).toBeUndefined();
    expect(raw.content).toHaveLength(1);
    return JSON.parse((raw.content as { text: string }[])[0]!.text) as Record<string, unknown>;
  };

  test('allows and denies by the rules, passing the input through unchanged', async () => {
    const a = await worker();
    expect(await decision(a, 'Bash', { command: 'npm test -- -t x' })).toEqual({ behavior: 'allow', updatedInput: { command: 'npm test -- -t x' } });
    const denied = await decision(a, 'Bash', { command: 'rm -rf /' });
    expect(denied.behavior).toBe('deny');
    expect(denied.message).toMatch(/^Bash\(rm -rf \/\) is denied by the plan's rule !Bash\(rm:\*\)/);
  });

  test('asks a person for anything else, and tells the agent who decided', async () => {
    const a = await worker();
    const answer = decision(a, 'Write', { file_path: '/etc/passwd', content: '' });
    let pending: Awaited<ReturnType<typeof listApprovals>> = [];
    while (pending.length === 0) pending = await listApprovals(bus().store, SCOPE);
    expect(pending[0]).toMatchObject({ tool: 'Write', taskId: 'r1:p', runId: 'r1', summary: 'Write(/etc/passwd)' });
    // The wait is visible as the task's progress.
    expect((await bus().store.getTask('r1:p'))?.progress).toMatch(/^waiting for approval ap-[0-9a-f]+: Write\(\/etc\/passwd\)/);
    await decideApproval(bus().store, SCOPE, pending[0]!.id, 'deny', { by: 'user:ann', message: 'not that file' });
    expect(await answer).toEqual({ behavior: 'deny', message: 'Write(/etc/passwd) was denied by user:ann: not that file' });
  });
});
