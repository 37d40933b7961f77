import { describe, expect, test } from 'vitest';
import { decide, describeRequest, permissionSetting, ruleMatches, splitPermissions } from '../../src/approvals/permissions.js';

const bash = (command: string) => ({ command });

describe('permission rules (Claude Code syntax)', () => {
  test('`!` makes a deny rule; mode: and sandbox: are settings, not rules', () => {
    expect(splitPermissions(['Read', ' !Bash(rm:*) ', 'mode:acceptEdits', 'sandbox:read-only', ''])).toEqual({ allow: ['Read'], deny: ['Bash(rm:*)'] });
    expect(permissionSetting(['Read', 'mode:plan'], 'mode')).toBe('plan');
    expect(permissionSetting(['Read'], 'sandbox')).toBeUndefined();
  });

  test('Bash prefix rules match the command and its arguments, not a longer word', () => {
    expect(ruleMatches('Bash(npm test:*)', 'Bash', bash('npm test'))).toBe(true);
    expect(ruleMatches('Bash(npm test:*)', 'Bash', bash('npm test -- --watch'))).toBe(true);
    expect(ruleMatches('Bash(npm test:*)', 'Bash', bash('npm testx'))).toBe(false);
    expect(ruleMatches('Bash(git *)', 'Bash', bash('git status'))).toBe(true);
    expect(ruleMatches('Bash', 'Bash', bash('anything at all'))).toBe(true);
    expect(ruleMatches('Bash(npm test:*)', 'Edit', { file_path: 'npm test' })).toBe(false);
  });

  test('a compound command is allowed only when every part is, and denied when any part is', () => {
    const policy = { allow: ['Bash(npm test:*)', 'Bash(git status:*)'], deny: ['Bash(rm:*)'] };
    expect(decide(policy, 'Bash', bash('npm test && git status'))).toEqual({ decision: 'allow', rule: 'Bash(npm test:*)' });
    expect(decide(policy, 'Bash', bash('npm test && curl evil.example'))).toEqual({ decision: 'ask' });
    expect(decide(policy, 'Bash', bash('npm test; rm -rf ~'))).toEqual({ decision: 'deny', rule: 'Bash(rm:*)' });
    expect(decide(policy, 'Bash', bash('npm test | rm -rf ~'))).toMatchObject({ decision: 'deny' });
    expect(decide(policy, 'Bash', bash('npm test $(rm -rf ~)'))).toEqual({ decision: 'ask' });
    // A redirection is not a background `&`.
    expect(decide(policy, 'Bash', bash('npm test 2>&1'))).toMatchObject({ decision: 'allow' });
  });

  test('file rules are path globs relative to the worktree; `**` crosses folders, `*` does not', () => {
    const root = '/w/tree';
    expect(ruleMatches('Edit(src/**)', 'Edit', { file_path: '/w/tree/src/a/b.ts' }, root)).toBe(true);
    expect(ruleMatches('Edit(src/*.ts)', 'Edit', { file_path: '/w/tree/src/a/b.ts' }, root)).toBe(false);
    expect(ruleMatches('Edit(src/*.ts)', 'Edit', { file_path: '/w/tree/src/b.ts' }, root)).toBe(true);
    expect(ruleMatches('Edit(src/**)', 'Edit', { file_path: '/elsewhere/src/b.ts' }, root)).toBe(false);
    expect(ruleMatches('Edit', 'Edit', { file_path: '/anywhere' }, root)).toBe(true);
  });

  test('MCP rules cover a whole server or one tool; WebFetch rules a domain', () => {
    expect(ruleMatches('mcp__daedalus', 'mcp__daedalus__complete_task', {})).toBe(true);
    expect(ruleMatches('mcp__daedalus__*', 'mcp__daedalus__whoami', {})).toBe(true);
    expect(ruleMatches('mcp__daedalus', 'mcp__daedalusx__whoami', {})).toBe(false);
    expect(ruleMatches('WebFetch(domain:example.com)', 'WebFetch', { url: 'https://example.com/a' })).toBe(true);
    expect(ruleMatches('WebFetch(domain:example.com)', 'WebFetch', { url: 'https://evil.com/example.com' })).toBe(false);
  });

  test('deny wins over allow; nothing matching asks a person', () => {
    const policy = { allow: ['Bash'], deny: ['Bash(git push:*)'] };
    expect(decide(policy, 'Bash', bash('git push origin main'))).toEqual({ decision: 'deny', rule: 'Bash(git push:*)' });
    expect(decide(policy, 'Bash', bash('git log'))).toEqual({ decision: 'allow', rule: 'Bash' });
    expect(decide({ allow: [], deny: [] }, 'Write', { file_path: '/x' })).toEqual({ decision: 'ask' });
  });

  test('a request reads as one line', () => {
    expect(describeRequest('Bash', bash('ls -la'))).toBe('Bash(ls -la)');
    expect(describeRequest('Bash', bash('x'.repeat(300)))).toHaveLength('Bash()'.length + 201);
    expect(describeRequest('mcp__other__tool', { a: 1 })).toBe('mcp__other__tool({"a":1})');
  });
});
