import { Command, InvalidArgumentError, Option } from 'commander';
import { packageVersion } from '../common/index.js';
import type { BusCommandOptions } from './with-bus.js';

// Each command loads only its own modules: `daedalus mcp` starts for every agent and must be quick
// and small, and a supervisor has no use for the MCP server's code.
const commands = {
  approvals: () => import('./commands/approvals.js'),
  bus: () => import('./commands/bus.js'),
  demo: () => import('./commands/demo.js'),
  mcp: () => import('./commands/mcp.js'),
  plan: () => import('./commands/plan.js'),
  run: () => import('./commands/run.js'),
  learn: () => import('./commands/learn.js'),
  runs: () => import('./commands/runs.js'),
  seed: () => import('./commands/seed.js'),
  stats: () => import('./commands/stats.js'),
  ui: () => import('./commands/ui.js'),
  worker: () => import('./commands/worker.js'),
  workspace: () => import('./commands/workspace.js'),
  controlPlane: () => import('./commands/control-plane.js'),
  status: () => import('./commands/status.js'),
  agents: () => import('./commands/agents.js'),
  editorHook: () => import('./commands/editor-hook.js'),
  spawn: () => import('./commands/spawn.js'),
  killSwarm: () => import('./commands/kill-swarm.js'),
};


const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number, got "${v}"`);
  return n;
};
const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/**
 * An option of the root command (the control plane's --detach, --harness) that commander took
 * although it was written after a subcommand which has an option of the same name; only when
 * written on the command line, never the root's default.
 */
function givenToRoot(cmd: Command, name: string): unknown {
  const root = cmd.parent;
  return root && root.getOptionValueSource(name) === 'cli' ? (root.opts() as Record<string, unknown>)[name] : undefined;
}

/** Argument parsing only: every action calls a plain async function with an options object. */
export function buildProgram(): Command {
  const program = new Command('daedalus')
    .description('Run many AI coding agents in parallel on one codebase, as a team.')
    .version(packageVersion())
    .addOption(new Option('--bus <address>', 'bus address: sqlite:PATH or postgres://… (default: $DAEDALUS_BUS or sqlite:$DAEDALUS_HOME/bus.db)'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const common = (cmd: Command): BusCommandOptions => {
    const o = cmd.optsWithGlobals<{ bus?: string; scope?: string; json?: boolean }>();
    return { bus: o.bus, scope: o.scope, json: o.json };
  };
  const busCmd = (name: string, description: string) =>
    bus
      .command(name)
      .description(description)
      .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
      .option('--json', 'print JSON');

  const bus = program.command('bus').description('inspect and talk to the coordination bus');
  busCmd('status', 'instances with status and last heartbeat, tasks by state, locks').action(async (_o, cmd: Command) => (await commands.bus()).busStatus(common(cmd)));
  busCmd('tasks', 'list tasks')
    .option('--state <states>', 'only these states (comma separated)', list)
    .option('--run <run>', 'only tasks of this run')
    .option('--limit <n>', 'at most n tasks', int('--limit'), 1000)
    .action(async (o: { state?: string[]; run?: string; limit: number }, cmd: Command) =>
      (await commands.bus()).busTasks({ ...common(cmd), states: o.state, run: o.run, limit: o.limit }),
    );
  busCmd('locks', 'list file locks').action(async (_o, cmd: Command) => (await commands.bus()).busLocks(common(cmd)));
  busCmd('kv', 'list the shared key-value memory')
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('--limit <n>', 'at most n keys', int('--limit'), 100)
    .action(async (o: { prefix?: string; limit: number }, cmd: Command) => (await commands.bus()).busKv({ ...common(cmd), prefix: o.prefix, limit: o.limit }));
  busCmd('events', 'the event log (latest first page, or --follow)')
    .option('--after <id>', 'events after this id', int('--after'))
    .option('--type <types>', 'only these types or prefixes like task. (comma separated)', list)
    .option('--limit <n>', 'at most n events', int('--limit'), 50)
    .option('-f, --follow', 'keep printing events as they happen')
    .action(async (o: { after?: number; type?: string[]; limit: number; follow?: boolean }, cmd: Command) => {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      await (await commands.bus()).busEvents({ ...common(cmd), after: o.after, types: o.type, limit: o.limit, follow: o.follow, signal: ac.signal });
    });
  busCmd('send', 'send a message to an instance id, role:NAME or * (everyone)')
    .argument('<to>', 'instance id, role:NAME or *')
    .argument('<text...>', 'the message')
    .action(async (to: string, text: string[], _o, cmd: Command) => (await commands.bus()).busSend({ ...common(cmd), to, text: text.join(' ') }));

  program
    .command('run')
    .description('run a plan: its packages on parallel agents, in dependency order, merged into one branch')
    .argument('[plan]', 'a plan file, a package file, or a directory of package files')
    .option('--resume <run>', 'continue a run whose supervisor stopped or died')
    .option('--include-cancelled', 'with --resume: cancelled tasks (emergency degradation) run again too')
    .option('-n, --agents <n>', 'at most n agents at once (default: the plan\'s max_agents)', int('--agents'))
    .option('--repo <path>', 'the repository (default: the current directory)')
    .option('--run-id <id>', 'name the run (default: plan name + time)')
    .option('--finish', 'merge the integration branch into the base branch when every task is done')
    .option('--keep-worktrees', 'keep done tasks\' worktrees (failed ones are always kept)')
    .option('--remote <name>', 'let workers on other hosts help through this git remote (docs/multi-machine.md)')
    .option('--scope <scope>', 'the bus scope every host of the swarm names (default $DAEDALUS_SCOPE, else the repository root)')
    .option('--json', 'NDJSON events, then the report as one JSON line')
    .action(async (plan: string | undefined, o: { resume?: string; includeCancelled?: boolean; agents?: number; repo?: string; runId?: string; finish?: boolean; keepWorktrees?: boolean; remote?: string; scope?: string; json?: boolean }, cmd: Command) => {
      const { requirePlanOrResume, runCommand, runExitCode } = await commands.run();
      requirePlanOrResume(plan, o.resume);
      const r = await runCommand({
        plan,
        resume: o.resume,
        includeCancelled: o.includeCancelled,
        maxAgents: o.agents,
        repo: o.repo,
        runId: o.runId,
        finish: o.finish,
        cleanup: !o.keepWorktrees,
        remote: o.remote,
        scope: o.scope ?? (process.env.DAEDALUS_SCOPE?.trim() || undefined),
        json: o.json,
        bus: cmd.optsWithGlobals<{ bus?: string }>().bus,
      });
      process.exitCode = runExitCode(r);
    });

  program
    .command('worker')
    .description('execute every ready task of this repository (plan runs, tasks planners spawn) until stopped')
    .option('-n, --agents <n>', 'at most n agents at once, across all runs (default 4)', int('--agents'))
    .option('--harness <name>', 'run every agent task with this harness (shell tasks stay shell)')
    .option('--types <types>', 'only tasks of these types (comma-separated)', list)
    .option('--run <run>', 'only this run\'s tasks')
    .addOption(new Option('--mode <mode>', 'start agents in tmux panes or headless, whatever packages say').choices(['headless', 'interactive']))
    .option('--repo <path>', 'the repository (default: the current directory)')
    .option('--remote <name>', 'share runs with workers on other hosts through this git remote (docs/multi-machine.md)')
    .option('--lease-ms <ms>', 'how long a task stays claimed without renewal (default 300000): a dead host\'s tasks go back to ready after it', int('--lease-ms'))
    .option('--scope <scope>', 'the bus scope every host of the swarm names (default $DAEDALUS_SCOPE, else the repository root)')
    .option('--detach', 'start in the background, logging under $DAEDALUS_HOME/logs')
    .option('--stop', 'stop this repository\'s workers on this host (their tasks go back to ready)')
    .addOption(new Option('--singleton', 'exit at once if another worker serves this repository').hideHelp())
    .action(async (o: { agents?: number; harness?: string; types?: string[]; run?: string; mode?: 'headless' | 'interactive'; repo?: string; remote?: string; scope?: string; leaseMs?: number; detach?: boolean; stop?: boolean; singleton?: boolean }, cmd: Command) => {
      const { workerCommand } = await commands.worker();
      // The control plane's root options --detach and --harness are recognised after a subcommand
      // too, so commander may hand them to the root: take them from there when given there.
      const detach = o.detach ?? (givenToRoot(cmd, 'detach') as boolean | undefined);
      const harness = o.harness ?? (givenToRoot(cmd, 'harness') as string | undefined);
      process.exitCode = await workerCommand({ ...o, detach, harness, bus: cmd.optsWithGlobals<{ bus?: string }>().bus });
    });

  program
    .command('runs')
    .description('the runs recorded on the bus for this repository, with their status')
    .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
    .option('--json', 'print JSON')
    .action(async (o: { scope?: string; json?: boolean }, cmd: Command) =>
      commands.runs().then((m) => m.listRuns({ bus: cmd.optsWithGlobals<{ bus?: string }>().bus, scope: o.scope, json: o.json })),
    );

  program
    .command('demo')
    .description('a scratch repository and a 7-package plan run by 3 scripted agents, end to end')
    .option('--json', 'NDJSON events and the report as JSON')
    .action(async (o: { json?: boolean }) => {
      const [{ demo }, { runExitCode }] = await Promise.all([commands.demo(), commands.run()]);
      process.exitCode = runExitCode(await demo({ json: o.json }));
    });

  const planCmd = program.command('plan').description('check and analyse plans');
  planCmd
    .command('check')
    .description('validate a plan; every problem with its file, line and field')
    .argument('<file>', 'a plan file, a package file, or a directory')
    .option('--json', 'print the validated plan as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      process.exitCode = await (await commands.plan()).planCheckCommand({ file, json: o.json });
    });
  planCmd
    .command('show')
    .description('the DAG in layers, the critical path, the lower bound and simulated schedules')
    .argument('<file>', 'a plan file, a package file, or a directory')
    .option('-n, --agents <n>', 'agents to schedule for (default: the plan\'s max_agents)', int('--agents'))
    .option('--json', 'print the analysis as JSON')
    .action(async (file: string, o: { agents?: number; json?: boolean }, cmd: Command) =>
      (await commands.plan()).planShowCommand({ file, agents: o.agents, json: o.json, bus: cmd.optsWithGlobals<{ bus?: string }>().bus }),
    );

  const seed = program.command('seed').description('the project seed every worker reads on its first turn (.daedalus/seed.md)');
  seed
    .command('show')
    .description('print the seed')
    .option('--repo <path>', 'repository (default: the current directory)')
    .option('--json', 'print JSON')
    .action(async (o: { repo?: string; json?: boolean }) => (await commands.seed()).seedShowCommand(o));
  seed
    .command('edit')
    .description('edit the seed in $VISUAL / $EDITOR')
    .option('--repo <path>', 'repository (default: the current directory)')
    .action(async (o: { repo?: string }) => (await commands.seed()).seedEditCommand(o));
  seed
    .command('dialogue')
    .description('Daedalus talks with a nascent Icarus (two Claude Code sessions); in the control plane when one runs')
    .option('--repo <path>', 'repository (default: the current directory)')
    .option('--turns <n>', 'exchanges: Daedalus speaks, Icarus answers', '4')
    .option('--capture', 'store the transcript as the seed when they are done')
    .option('--out <file>', 'the transcript (default .daedalus/dialogue.md)')
    .option('--here', 'run in this terminal even when a control plane is running')
    .action(async (o: { repo?: string; turns?: string; capture?: boolean; out?: string; here?: boolean }) => (await commands.seed()).seedDialogueCommand(o));
  seed
    .command('capture')
    .description('store a conversation transcript as the seed')
    .argument('<file>', 'a transcript (text, markdown, or Claude Code JSONL)')
    .option('--repo <path>', 'repository (default: the current directory)')
    .action(async (file: string, o: { repo?: string }) => (await commands.seed()).seedCaptureCommand({ ...o, file }));

  const approvalCmd = program
    .command('approvals')
    .description('permission requests from agents waiting for a person')
    .option('--all', 'also the ones already decided')
    .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; scope?: string; json?: boolean }, cmd: Command) =>
      (await commands.approvals()).approvalsList({ bus: cmd.optsWithGlobals<{ bus?: string }>().bus, scope: o.scope, all: o.all, json: o.json }),
    );
  for (const verdict of ['approve', 'deny'] as const) {
    approvalCmd
      .command(verdict)
      .description(`${verdict} a pending request; the agent gets the answer at once`)
      .argument('<id>', 'the request id from `daedalus approvals`')
      .option('-m, --message <text>', 'a line for the agent')
      .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
      .action(async (id: string, o: { message?: string; scope?: string }, cmd: Command) =>
        (await commands.approvals()).approvalsDecide({
          bus: cmd.optsWithGlobals<{ bus?: string }>().bus,
          scope: o.scope,
          id,
          decision: verdict === 'approve' ? 'allow' : 'deny',
          message: o.message,
        }),
      );
  }

  program
    .command('ui')
    .description('the web dashboard: watch and steer the swarm from a browser (loopback, token in the URL)')
    .option('-p, --port <port>', 'port (default: any free one)', int('--port'))
    .option('--host <host>', 'address to listen on (default 127.0.0.1; others need --allow-remote)')
    .option('--allow-remote', 'listen on a non-loopback --host (the token still guards every request)')
    .option('--open', 'open the URL in your browser')
    .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
    .action(async (o: { port?: number; host?: string; allowRemote?: boolean; open?: boolean; scope?: string }, cmd: Command) => {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      await (await commands.ui()).uiCommand({ ...o, bus: cmd.optsWithGlobals<{ bus?: string }>().bus, signal: ac.signal });
    });

  program
    .command('stats')
    .description('soak metrics: adoption failures, spawn → end time, error classes, cost drift, retries, merge conflicts, planner behaviour')
    .option('--run <run>', 'only this run')
    .option('--since <duration>', 'only what happened in this window, e.g. 7d, 12h')
    .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
    .option('--json', 'print JSON')
    .action(async (o: { run?: string; since?: string; scope?: string; json?: boolean }, cmd: Command) =>
      (await commands.stats()).statsCommand({ ...common(cmd), run: o.run, since: o.since }),
    );

  const learn = program.command('learn').description('what runs (and planners) taught the Parallelization Learner, per task type');
  learn
    .command('show')
    .description('per task type: runs learned from, success rate, duration, CPU and memory per agent, parallel benefit, best concurrency')
    .option('--type <type>', 'only this task type')
    .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
    .option('--json', 'print JSON')
    .action(async (o: { type?: string }, cmd: Command) => (await commands.learn()).learnShowCommand({ ...common(cmd), type: o.type }));
  learn
    .command('reset')
    .description('forget what was learned (of one task type, or all)')
    .option('--type <type>', 'only this task type')
    .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
    .option('--json', 'print JSON')
    .action(async (o: { type?: string }, cmd: Command) => (await commands.learn()).learnResetCommand({ ...common(cmd), type: o.type }));

  program
    .command('mcp')
    .description('serve the bus to one agent over stdio (add to Claude Code: claude mcp add daedalus -- daedalus mcp)')
    .action(async (_o, cmd: Command) => (await commands.mcp()).mcpCommand({ bus: cmd.optsWithGlobals<{ bus?: string }>().bus }));

  const ws = program.command('workspace').description('the git worktrees Daedalus made for runs');
  ws.command('list')
    .description('worktrees with path, branch, state and disk used')
    .option('--run <run>', 'only this run')
    .option('--repo <path>', 'repository (default: current directory)')
    .option('--json', 'print JSON')
    .action(async (o: { run?: string; repo?: string; json?: boolean }) => (await commands.workspace()).workspaceListCommand(o));
  ws.command('clean')
    .description('remove worktrees (and merged branches) of one run or of all runs')
    .option('--run <run>', 'only this run')
    .option('--all', 'every run of this repository')
    .option('--force', 'also delete branches that were never merged')
    .option('--repo <path>', 'repository (default: current directory)')
    .option('--json', 'print JSON')
    .action(async (o: { run?: string; all?: boolean; force?: boolean; repo?: string; json?: boolean }) => (await commands.workspace()).workspaceCleanCommand(o));

  addControlPlaneCommands(program, common);

  return program;
}

/** The control plane: `daedalus` alone, new, status, agents, editor-hook. */
function addControlPlaneCommands(program: Command, common: (cmd: Command) => BusCommandOptions): void {
  type PlaneOpts = { detach?: boolean; harness?: string; chiefWidth?: string; gitHeight?: string };
  const planeOptions = (cmd: Command) =>
    cmd
      .option('--detach', 'build the session without attaching (scripts, CI)')
      .option('--harness <name>', 'the Daedalus agent: claude or codex', 'claude')
      .option('--chief-width <size>', 'width of the Daedalus pane: columns (90) or a share (40%)')
      .option('--git-height <size>', 'height of the git pane: rows or a share (25%)');
  // The root and `new` share these options; commander may give them to either, so both read them with the globals.
  const plane = (cmd: Command) => cmd.optsWithGlobals<PlaneOpts & { bus?: string }>();
  planeOptions(program).action(async (_o, cmd: Command) => (await commands.controlPlane()).controlPlaneCommand(plane(cmd)));
  planeOptions(program.command('new').description('a new control plane for this repository (ends the one running)')).action(async (_o, cmd: Command) =>
    (await commands.controlPlane()).controlPlaneCommand({ ...plane(cmd), fresh: true }),
  );

  program
    .command('status')
    .description('the control plane, the executor, the swarm (tasks by state, each worker) and the persistent agents')
    .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
    .option('--json', 'print JSON')
    .action(async (_o, cmd: Command) => (await commands.status()).statusCommand(common(cmd)));

  program
    .command('spawn')
    .description('start a worker with N Icarus agents in the control plane (adds capacity)')
    .argument('<n>', 'agents', int('N'))
    .option('--harness <name>', 'run every agent task with this harness')
    .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
    .option('--json', 'print JSON')
    .action(async (n: number, o: { harness?: string }, cmd: Command) =>
      (await commands.spawn()).spawnCommand({ ...common(cmd), agents: n, harness: o.harness ?? (givenToRoot(cmd, 'harness') as string | undefined) }),
    );
  program
    .command('kill-swarm')
    .description('stop every worker of this repository here: agents stopped, their tasks ready again, panes closed')
    .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
    .option('--json', 'print JSON')
    .action(async (_o, cmd: Command) => (await commands.killSwarm()).killSwarmCommand(common(cmd)));

  program
    .command('editor-hook')
    .description('$EDITOR for the Daedalus agent: a prompt starting with @NAME goes to that persistent agent and its answer comes back')
    .argument('<file>', 'the file the agent CLI asks to edit')
    .action(async (file: string, _o, cmd: Command) => (await commands.editorHook()).editorHookCommand({ ...common(cmd), file }));

  const agents = program.command('agents').description('persistent named agents that keep their context across tasks');
  const agentCmd = (name: string, description: string) =>
    agents
      .command(name)
      .description(description)
      .option('--scope <scope>', 'scope (default: the git repository of the current directory)')
      .option('--json', 'print JSON');
  agentCmd('add', 'add an agent and start it in its own window of the control plane')
    .argument('<name>', 'its name (lower case)')
    .option('--harness <name>', 'the agent CLI', 'claude')
    .option('--role <role>', 'planning, coding, testing, review, … (tasks can be routed by role)', 'coding')
    .option('--seed <file>', 'text for its first turn')
    .option('--no-start', 'only record it')
    .action(async (name: string, o: { harness?: string; role?: string; seed?: string; start: boolean }, cmd: Command) =>
      (await commands.agents()).agentsAdd({ ...common(cmd), name, harness: o.harness, role: o.role, seed: o.seed, noStart: !o.start }),
    );
  agentCmd('list', 'agents with status, queue, last activity and context').action(async (_o, cmd: Command) => (await commands.agents()).agentsList(common(cmd)));
  agentCmd('show', 'one agent: its session, context and queue')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => (await commands.agents()).agentsShow({ ...common(cmd), name }));
  agentCmd('ask', 'give an agent (by name or role) a prompt and print its answer')
    .argument('<name>', 'agent name or role')
    .argument('<prompt...>')
    .option('--no-wait', 'print the task id and return')
    .action(async (name: string, prompt: string[], o: { wait: boolean }, cmd: Command) =>
      (await commands.agents()).agentsAsk({ ...common(cmd), name, prompt: prompt.join(' '), noWait: !o.wait }),
    );
  agentCmd('stop', 'stop an agent (its session is kept)')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => (await commands.agents()).agentsStop({ ...common(cmd), name }));
  agentCmd('start', 'start a stopped agent again, resuming its session')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => (await commands.agents()).agentsStart({ ...common(cmd), name }));
  agentCmd('serve', 'run an agent in this terminal (what its window runs)')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => (await commands.agents()).agentsServe({ ...common(cmd), name }));
}
