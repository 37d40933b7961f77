// `node --import tsx scripts/capture-control-plane.mjs`: the README's picture of the control plane.
// Builds a real one with `daedalus new --detach` in a fresh repository — pane 0 is the real Claude
// Code (the copy the tests use) talking to the scripted model server of the tests, so no account
// and no network — starts two stub workers with `daedalus spawn 2`, lets everything draw, and
// prints the whole window as text: every pane's `tmux capture-pane` at its place, with the borders.
// Needs `npm run build` and the agent CLIs of test/e2e/agent-clis (scripts/setup-agents.mjs).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore, resolveScope } from '../src/bus/index.ts';
import { killSwarm } from '../src/control/index.ts';
import { spawnTasks } from '../src/records/index.ts';
import { isolateGitConfig, makeTempRepo } from '../test/helpers/git-repo.ts';
import { startModelServer } from '../test/helpers/model-server/index.ts';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const CLI = join(ROOT, 'dist/cli/main.js');
const CLAUDE = join(ROOT, 'test/e2e/agent-clis/node_modules/.bin/claude');
const COLS = Number(process.env.COLS ?? 132);
const ROWS = Number(process.env.ROWS ?? 36);
const READY = 'Ready. Tell me what to build';

const restoreGit = isolateGitConfig();
const dir = mkdtempSync(join(tmpdir(), 'daedalus-capture-'));
const socket = `daedalus-capture-${process.pid}`;
const ready = { text: `${READY} — I will split it into packages for the Icarus swarm on the right, or hand an @agent your question (Ctrl-G).` };
const server = await startModelServer([
  // The TUI connects its MCP servers in the background; it offers WaitForMcpServers meanwhile.
  (ctx) => (ctx.tools.some((t) => t.startsWith('mcp__daedalus__')) ? ready : { calls: [{ tool: 'WaitForMcpServers', input: {} }] }),
  ready,
]);
const repo = await makeTempRepo({ name: 'atlas', files: { 'README.md': '# atlas\n', '.gitignore': '.daedalus/\n' } });
const tmux = (args) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });

try {
  for (const [file, text, message] of [
    ['src/parse.ts', 'export const parse = (s: string) => s.split(",");\n', 'parser: split on commas'],
    ['src/report.ts', 'export const report = (xs: string[]) => xs.join("\\n");\n', 'report: one line per item'],
  ]) {
    await repo.write(file, text);
    await repo.commit(message);
  }
  const scope = resolveScope(repo.root, {});
  const home = join(dir, 'agent-home');
  const configDir = join(home, '.claude');
  mkdirSync(configDir, { recursive: true });
  const apiKey = 'sk-ant-scripted-capture-key';
  // What a person's Claude Code holds after its first use: onboarding done, the key accepted, the repository trusted.
  writeFileSync(
    join(configDir, '.claude.json'),
    JSON.stringify({ hasCompletedOnboarding: true, theme: 'dark', customApiKeyResponses: { approved: [apiKey.slice(-20)], rejected: [] }, projects: { [scope]: { hasTrustDialogAccepted: true, allowedTools: [] } } }),
  );
  const bus = `sqlite:${join(dir, 'bus.db')}`;
  const env = {
    ...process.env,
    HOME: home,
    CLAUDE_CONFIG_DIR: configDir,
    ANTHROPIC_BASE_URL: server.url,
    ANTHROPIC_API_KEY: apiKey,
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DAEDALUS_CLAUDE_BIN: CLAUDE,
    DAEDALUS_CONTROL_SOCKET: socket,
    DAEDALUS_HOME: join(dir, 'home'),
    DAEDALUS_BUS: bus,
    DAEDALUS_INTERACTIVE_LINGER: '600s',
  };
  delete env.TMUX;
  execFileSync(process.execPath, [CLI, 'new', '--detach', '--chief-width', '45%'], { cwd: repo.root, env, stdio: 'inherit' });
  tmux(['resize-window', '-t', '=daedalus:control', '-x', String(COLS), '-y', String(ROWS)]);

  // Two Icarus workers with stub agents, so the swarm has something to show.
  process.env.DAEDALUS_HOME = env.DAEDALUS_HOME;
  const store = await openStore(bus);
  const stub = (name, what) => `printf '\\033[1mIcarus ${name}\\033[0m: ${what}\\n'; sleep 600`;
  await spawnTasks({
    store,
    scope,
    home: env.DAEDALUS_HOME,
    repo: repo.root,
    planner: { id: 'planner-capture', name: 'daedalus' },
    tasks: [
      { description: 'Parse quoted fields in src/parse.ts', harness: 'generic', run: stub('t1', 'reading src/parse.ts, adding quoted fields'), max_attempts: 1 },
      { description: 'Report totals in src/report.ts', harness: 'generic', run: stub('t2', 'writing the totals line of src/report.ts'), max_attempts: 1 },
    ],
    harnesses: ['claude', 'codex', 'script', 'shell', 'generic'],
    strategy: 'parallel',
  });
  execFileSync(process.execPath, [CLI, 'spawn', '2'], { cwd: repo.root, env, stdio: 'inherit' });

  // Until the Daedalus agent has answered and both workers are drawn (no fixed sleep: each look is a check).
  const deadline = Date.now() + 120_000;
  const drawn = () => {
    const chief = tmux(['capture-pane', '-p', '-t', '=daedalus:control.0']);
    const swarm = tmux(['capture-pane', '-p', '-t', '=daedalus:control.1']);
    return chief.includes('Ready.') && swarm.includes('Icarus t1') && swarm.includes('Icarus t2');
  };
  while (!drawn()) {
    if (Date.now() > deadline) {
      console.error(renderWindow('=daedalus:control'));
      throw new Error('the control plane did not finish drawing within 2 minutes');
    }
    // Never a blocking sleep: the scripted model answering pane 0 runs in this process.
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 1000)); // one more frame for the status lines
  console.log(renderWindow('=daedalus:control'));
  await killSwarm({ store, scope, socket });
  await store.close();
} finally {
  try {
    tmux(['kill-server']);
  } catch {
    // already gone
  }
  await server.close();
  await repo.cleanup();
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  } catch {
    // Agent CLIs still writing their last files as the server ends: a temp folder left behind.
  }
  restoreGit();
}

/** The window as text: each pane's screen at its position, borders between them, titles on the top borders. */
function renderWindow(target) {
  const [w, h] = tmux(['display-message', '-p', '-t', target, '#{window_width} #{window_height}']).trim().split(' ').map(Number);
  const grid = Array.from({ length: h }, () => Array(w).fill(' '));
  const put = (x, y, ch) => {
    if (y >= 0 && y < h && x >= 0 && x < w) grid[y][x] = ch;
  };
  const panes = tmux(['list-panes', '-t', target, '-F', '#{pane_id}|#{pane_left}|#{pane_top}|#{pane_width}|#{pane_height}|#{pane_index}|#{pane_title}'])
    .trim()
    .split('\n')
    .map((l) => {
      const [id, left, top, width, height, index, ...title] = l.split('|');
      return { id, left: +left, top: +top, width: +width, height: +height, index, title: title.join('|') };
    });
  for (const p of panes) {
    // Borders: the pane's top line (pane-border-status top) and its left edge.
    for (let x = p.left - 1; x <= p.left + p.width; x++) put(x, p.top - 1, '─');
    for (let y = p.top - 1; y < p.top + p.height; y++) if (p.left > 0) put(p.left - 1, y, '│');
    const label = ` ${p.index} ${p.title} `;
    [...label].forEach((ch, i) => put(p.left + 1 + i, p.top - 1, ch));
    const lines = tmux(['capture-pane', '-p', '-t', p.id]).split('\n');
    lines.slice(0, p.height).forEach((line, y) => [...line].slice(0, p.width).forEach((ch, x) => put(p.left + x, p.top + y, ch)));
  }
  return grid.map((row) => row.join('').trimEnd()).join('\n');
}
