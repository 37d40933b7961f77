import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planCheck } from '../../src/plan/index.js';
import { checkText, tempFiles } from './helpers.js';

const GOOD = `plan: demo
defaults:
  harness: codex
  max_agents: 3
  strategy: adaptive
  timeout: 30m
  memory_limit: 2GiB
  permissions: [Read]
  env: { LOG: debug, PORT: 3000 }
  setup: { include: [".env"], command: npm ci }
  budget: { cost_usd: 12.5, wall: 2h }
  resources: { cpu_warning: 50, cooldown: 20s, on_sustained_danger: requeue }
packages:
  - id: a
    description: first
    estimate: 90m
    priority: high
  - id: b
    type: test
    description: second
    depends_on: [a]
    harness: shell
    run: npm test
    timeout: 5m
    max_attempts: 3
    env: { PORT: "4000" }
    permissions: [Read, Edit]
    inputs: { files: ["src/**"], context: ctx }
    outputs: { expected: green, report_to: results/b.json }
    script: { behaviour: slow, duration: 2s, memory: 300MB, exit_code: 1, writes: { "src/b.ts": "export {};\\n" } }
`;

describe('parsing a plan file', () => {
  it('resolves defaults, applies them to packages and converts durations and sizes', async () => {
    const plan = await checkText(GOOD);
    expect(plan.name).toBe('demo');
    expect(plan.kind).toBe('plan');
    expect(plan.defaults).toMatchObject({
      harness: 'codex', maxAgents: 3, strategy: 'adaptive', maxAttempts: 2, timeoutMs: 1_800_000, idleTimeoutMs: 600_000,
      scope: 'warn', onFailure: 'cancel', retryBackoffMs: 5000, integrate: true,
      setup: { include: ['.env'], command: 'npm ci' }, budget: { costUsd: 12.5, wallMs: 7_200_000 },
      resources: { cpuWarning: 50, cpuDanger: 80, memWarning: 70, memDanger: 85, cooldownMs: 20_000, sustainedMs: 30_000, onSustainedDanger: 'requeue' },
    });
    const [a, b] = plan.packages;
    expect(a).toMatchObject({ id: 'a', type: 'implementation', priority: 'high', estimateMs: 5_400_000, harness: 'codex', timeoutMs: 1_800_000, maxAttempts: 2, memoryLimitBytes: 2 * 1024 ** 3, permissions: ['Read'], env: { LOG: 'debug', PORT: '3000' }, mode: 'headless', dependsOn: [] });
    expect(a?.estimateMs).toBe(5_400_000);
    expect(b).toMatchObject({
      type: 'test', harness: 'shell', run: 'npm test', timeoutMs: 300_000, maxAttempts: 3, dependsOn: ['a'],
      env: { LOG: 'debug', PORT: '4000' }, permissions: ['Read', 'Edit'],
      inputs: { files: ['src/**'], context: 'ctx' }, outputs: { expected: 'green', reportTo: 'results/b.json' },
      script: { behaviour: 'slow', durationMs: 2000, memoryBytes: 300e6, exitCode: 1, writes: { 'src/b.ts': 'export {};\n' } },
    });
    expect(b?.estimateMs).toBeUndefined();
  });

  it('records the file and line of each package and field', async () => {
    const plan = await checkText(GOOD);
    const b = plan.packages[1];
    expect(b?.source.file).toBe('plan.yaml');
    expect(b?.source.line).toBe(18);
    expect(b?.source.fields.depends_on).toBe(21);
    expect(b?.source.fields['script.behaviour']).toBe(30);
    expect(plan.defaultsSource?.fields.timeout).toBe(6);
  });

  it('uses built-in defaults when the plan gives none', async () => {
    const plan = await checkText('packages:\n  - id: only\n    description: x\n', 'tiny.yaml');
    expect(plan.name).toBe('tiny');
    expect(plan.packages[0]).toMatchObject({ harness: 'claude', timeoutMs: 45 * 60_000, idleTimeoutMs: 10 * 60_000, maxAttempts: 2, priority: 'medium', type: 'implementation' });
  });
});

describe('a single package file', () => {
  it('is a one-package plan named after the file', async () => {
    const plan = await checkText('id: fix-login\ntype: fix\ndescription: fix the login bug\nestimate: 20m\n', 'fix-login.yaml');
    expect(plan.kind).toBe('package');
    expect(plan.name).toBe('fix-login');
    expect(plan.packages).toHaveLength(1);
    expect(plan.packages[0]).toMatchObject({ id: 'fix-login', type: 'fix', estimateMs: 1_200_000, harness: 'claude' });
  });
});

describe('a directory of package files', () => {
  it('reads every *.yaml / *.yml file as one package, sorted by name, with plan.yaml for name and defaults', async () => {
    const dir = await tempFiles({
      'work/plan.yaml': 'plan: dirplan\ndefaults: { harness: script, timeout: 2m }\n',
      'work/b.yml': 'id: b\ndescription: second\ndepends_on: [a]\n',
      'work/a.yaml': 'id: a\ndescription: first\n',
      'work/notes.txt': 'not a package',
      'work/sub/c.yaml': 'id: c\ndescription: ignored, not at the top\n',
    });
    const plan = await planCheck({ file: 'work', cwd: dir });
    expect(plan.kind).toBe('directory');
    expect(plan.name).toBe('dirplan');
    expect(plan.source).toBe(join(dir, 'work'));
    expect(plan.packages.map((p) => p.id)).toEqual(['a', 'b']);
    expect(plan.packages[1]).toMatchObject({ harness: 'script', timeoutMs: 120_000, dependsOn: ['a'] });
    expect(plan.packages[1]?.source.file).toBe('work/b.yml');
  });

  it('is named after the directory without a plan.yaml', async () => {
    const dir = await tempFiles({ 'tasks/x.yaml': 'id: x\ndescription: x\n' });
    const plan = await planCheck({ file: join(dir, 'tasks') });
    expect(plan.name).toBe('tasks');
  });
});

describe('the examples', () => {
  for (const name of ['swarm-launcher', 'map-reduce', 'real-agents']) {
    it(`examples/${name}.yaml passes the validator`, async () => {
      const plan = await planCheck({ file: `examples/${name}.yaml` });
      expect(plan.packages.length).toBeGreaterThan(2);
      expect(plan.packages.every((p) => p.estimateMs !== undefined)).toBe(true);
    });
  }

  it('the scripted examples give every script agent a short run and real files to write', async () => {
    for (const name of ['swarm-launcher', 'map-reduce']) {
      const plan = await planCheck({ file: `examples/${name}.yaml` });
      expect(plan.defaults.harness).toBe('script');
      for (const p of plan.packages) {
        expect(p.script?.durationMs ?? Infinity).toBeLessThanOrEqual(2000);
        expect(Object.keys(p.script?.writes ?? {}).length).toBeGreaterThan(0);
      }
      // Parallel packages must not write the same file, or their merges would conflict.
      const written = plan.packages.flatMap((p) => Object.keys(p.script?.writes ?? {}));
      expect(new Set(written).size).toBe(written.length);
    }
  });

  it('real-agents uses claude with one codex package', async () => {
    const plan = await planCheck({ file: 'examples/real-agents.yaml' });
    expect(plan.packages.filter((p) => p.harness === 'codex')).toHaveLength(1);
    expect(plan.packages.filter((p) => p.harness === 'claude').length).toBe(plan.packages.length - 1);
  });
});
