import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, resolveScope, type Store } from '../../src/bus/index.js';
import { liveExecutors } from '../../src/records/index.js';
import { isolateGitConfig, makeTempRepo, TEST_GIT_ENV, type TempRepo } from '../helpers/git-repo.js';

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(REPO, 'dist/cli/main.js');
const BUNDLED = join(REPO, 'dist/mcp.js');

const text = (r: Awaited<ReturnType<Client['callTool']>>) => (r.content as { text: string }[])[0]!.text;
const json = (r: Awaited<ReturnType<Client['callTool']>>) => JSON.parse(text(r)) as Record<string, unknown>;

describe('the planner\'s tools over a real MCP client', () => {
  let repo: TempRepo;
  let dir: string;
  let env: Record<string, string>;
  let store: Store;
  let client: Client;
  let restoreGit: () => void;
  beforeAll(() => (restoreGit = isolateGitConfig()));
  afterAll(() => restoreGit());

  beforeEach(async () => {
    repo = await makeTempRepo({ files: { 'README.md': '# planner\n', '.gitignore': '.daedalus/\n' } });
    dir = await mkdtemp(join(tmpdir(), 'daedalus-planner-'));
    env = { PATH: process.env.PATH ?? '', HOME: dir, DAEDALUS_HOME: join(dir, 'home'), DAEDALUS_BUS: `sqlite:${join(dir, 'bus.db')}`, ...TEST_GIT_ENV };
    client = new Client({ name: 'planner-test', version: '0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BUNDLED, 'mcp'], cwd: repo.root, env, stderr: 'pipe' }));
    store = await openStore(env.DAEDALUS_BUS);
    await client.callTool({ name: 'register', arguments: { role: 'planner', label: 'name:chief origin:test' } });
  });

  afterEach(async () => {
    await client.close();
    // The worker the first spawn started in the background: stopped the way a person would.
    await exec(process.execPath, [CLI, 'worker', '--stop'], { cwd: repo.root, env }).catch(() => undefined);
    await store.close();
    await repo.cleanup();
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  it('spawn_parallel_tasks → a background worker runs them in dependency order → wait_for_tasks returns their results', async () => {
    const spawned = json(
      await client.callTool({
        name: 'spawn_parallel_tasks',
        arguments: {
          strategy: 'parallel',
          tasks: [
            { description: 'write alpha', harness: 'shell', run: 'echo alpha > alpha.txt' },
            { description: 'write beta', harness: 'shell', run: 'echo beta > beta.txt' },
            { description: 'join them', harness: 'shell', run: 'cat alpha.txt beta.txt > both.txt', depends_on: ['$1', '$2'] },
          ],
        },
      }),
    );
    expect(spawned).toMatchObject({ run_id: 'planner-chief', task_ids: ['planner-chief:t1', 'planner-chief:t2', 'planner-chief:t3'] });
    expect(spawned.executor).toMatchObject({ started: true });
    const scope = resolveScope(repo.root, {});
    expect((await liveExecutors(store, scope)).length).toBeLessThanOrEqual(1);

    let waited: Record<string, unknown>;
    do waited = json(await client.callTool({ name: 'wait_for_tasks', arguments: { run_id: 'planner-chief', timeout_seconds: 50 } }));
    while (waited.timed_out === true);
    expect(waited).toMatchObject({ done: 3, failed: 0 });
    const tasks = waited.tasks as { id: string; state: string; result: { filesChanged?: string[] } | null }[];
    expect(tasks.find((t) => t.id === 'planner-chief:t3')?.state).toBe('done');
    expect(await repo.git(['show', 'daedalus/planner-chief/integration:both.txt'])).toBe('alpha\nbeta\n');

    const stats = json(await client.callTool({ name: 'get_task_stats', arguments: {} }));
    expect(stats).toMatchObject({ run: { id: 'planner-chief', integration_branch: 'daedalus/planner-chief/integration' }, finished: { done: 3 } });
    expect((stats.executors as unknown[]).length).toBe(1);

    // A second call extends the same run; a dependency on an earlier call's task by its id.
    const more = json(await client.callTool({ name: 'spawn_parallel_tasks', arguments: { tasks: [{ description: 'count', harness: 'shell', run: 'wc -l < both.txt > count.txt', depends_on: ['planner-chief:t3'] }] } }));
    expect(more).toMatchObject({ run_id: 'planner-chief', task_ids: ['planner-chief:t4'], executor: { started: false } });
    do waited = json(await client.callTool({ name: 'wait_for_tasks', arguments: { task_ids: ['planner-chief:t4'] } }));
    while (waited.timed_out === true);
    expect(waited).toMatchObject({ done: 1 });
    expect((await repo.git(['show', 'daedalus/planner-chief/integration:count.txt'])).trim()).toBe('2');
    // The worker kept the run while it was quiet: the second spawn needed no new claim, and the run
    // was reported done after each round.
    const claims = await store.readEvents(scope, { after: 0, types: ['run.claimed'], runId: 'planner-chief', limit: 10 });
    expect(claims).toHaveLength(1);
    // Reported done once quiet with all four (the first round may have had no quiet moment).
    const fourDone = async () =>
      (await store.readEvents(scope, { after: 0, types: ['run.finished'], runId: 'planner-chief', limit: 10 })).some((e) => (e.data as unknown as { summary: { done: number } }).summary.done === 4);
    while (!(await fourDone())) await store.waitForEvents(scope, { after: (await store.readEvents(scope, { after: 0, limit: 1, newest: true }))[0]!.id, types: ['run.finished'], timeoutMs: 5000 });
    expect((await store.getRun(scope, 'planner-chief'))?.status).toBe('done');
  });

  it('submit_plan refuses an invalid plan with the same words as `daedalus plan check`, and refuses planner tools to workers', async () => {
    const yaml = 'plan: broken\npackages:\n  - id: a\n    description: x\n    depends_on: [nope]\n';
    const file = join(dir, 'broken.yaml');
    await writeFile(file, yaml);
    const cli = await exec(process.execPath, [CLI, 'plan', 'check', file], { cwd: repo.root, env }).then(
      () => '',
      (e: { stdout: string; stderr: string }) => e.stderr + e.stdout,
    );
    const r = await client.callTool({ name: 'submit_plan', arguments: { yaml } });
    expect(r.isError).toBe(true);
    // The same words after the file and line (the CLI names the file, the tool "submitted plan").
    const problem = /depends_on: unknown package "nope"[^\n]*/.exec(cli)?.[0];
    expect(problem).toBeTruthy();
    expect(text(r)).toContain(problem!);

    const worker = new Client({ name: 'worker', version: '0' });
    await worker.connect(new StdioClientTransport({ command: process.execPath, args: [BUNDLED, 'mcp'], cwd: repo.root, env, stderr: 'pipe' }));
    await worker.callTool({ name: 'register', arguments: { role: 'worker' } });
    const refused = await worker.callTool({ name: 'spawn_parallel_tasks', arguments: { tasks: [{ description: 'x', harness: 'shell', run: 'true' }] } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/^FORBIDDEN/);
    await worker.close();
  });
});
