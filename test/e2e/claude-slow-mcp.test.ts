import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { claudeHarness } from '../../src/harness/claude/index.js';
import type { Harness } from '../../src/harness/index.js';
import type { TurnContext } from '../helpers/model-server/index.js';
import { recording, useE2eWorld } from './helpers.js';
import { resultOf } from '../helpers/results.js';

const w = useE2eWorld();

/**
 * Well past the 5 s Claude Code waits for MCP servers by default even when told to wait (checked:
 * with MCP_CONNECT_TIMEOUT_MS=5000 this test fails), and in print mode it did not wait at all.
 */
const SLOW_START_MS = 10_000;

/** The agent's MCP server as a loaded machine starts it: the real `daedalus mcp`, seconds late. */
function slowMcp(inner: Harness): Harness {
  return {
    ...inner,
    launch(spec) {
      const [node, ...rest] = spec.daedalus;
      const delayed = ['/bin/sh', '-c', `sleep ${SLOW_START_MS / 1000}; exec "$0" "$@"`, node!, ...rest];
      // Its own stdio server, not a session of the supervisor's MCP host (which is already up).
      return inner.launch({ ...spec, daedalus: delayed, hostedMcp: undefined });
    },
  };
}

/** Busy loops on every core for the length of the test: the machine the issue saw. */
function loadTheMachine(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

describe('headless Claude Code waits for the daedalus MCP server', () => {
  let burners: ChildProcess[] = [];
  afterEach(() => {
    for (const b of burners.splice(0)) b.kill('SIGKILL');
  });

  test('a server that is seconds late on a loaded machine still gives the agent its bus on its first turn', async () => {
    burners = loadTheMachine(2);
    w.script([
      // Without the bus tools the agent can only talk; with them it completes through the bus.
      (ctx: TurnContext) =>
        ctx.tools.includes('mcp__daedalus__complete_task')
          ? { calls: [{ tool: 'daedalus:complete_task', input: { summary: 'done on the first turn', files_changed: [], tests_run: [], follow_ups: [] } }] }
          : { text: 'I have no daedalus tools.' },
      { text: 'Done.' },
    ]);
    const rec = recording(slowMcp(claudeHarness));
    const plan = w.plan({
      plan: 'slow-mcp',
      defaults: { harness: 'claude', max_attempts: 1, timeout: '120s', idle_timeout: '90s', env: w.claudeEnv() },
      packages: [{ id: 'late', description: 'Complete the task.' }],
    });
    const result = await w.run(plan, { harnesses: { claude: rec.harness } });

    const first = w.server.turns()[0]?.ctx;
    expect(first?.tools, 'the first turn offered the bus tools').toEqual(expect.arrayContaining(['mcp__daedalus__complete_task', 'mcp__daedalus__whoami']));
    expect(rec.events.filter((e) => e.kind === 'output' && e.text.includes('did not connect'))).toEqual([]);
    expect(result.report.status, JSON.stringify(result.report.tasks[0]?.error)).toBe('done');
    expect(resultOf(result, 'late')).toMatchObject({ summary: 'done on the first turn' });
  });
});
