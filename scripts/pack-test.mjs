// The package as a stranger gets it: pack it, install the tarball into an empty project, and from
// there run the bin under both names, the demo, and `daedalus mcp` answering `initialize`. A file
// missing from `files`, a broken bin or a path that only works inside this checkout fails here.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'daedalus-pack-'));
const step = (what) => console.log(`pack-test: ${what}`);
const fail = (why) => {
  console.error(`pack-test: FAILED: ${why}`);
  console.error(`pack-test: files left in ${work}`);
  process.exit(1);
};
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });

step('npm pack');
const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: repo }))[0];
const files = packed.files.map((f) => f.path);
for (const needed of ['dist/cli/main.js', 'dist/mcp.js', 'dist/harness/script-agent.js', 'dist/ui/public/index.html', 'dist/ui/public/app.js', 'dist/ui/public/app.css', 'examples/swarm-launcher.yaml', 'README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']) {
  if (!files.includes(needed)) fail(`the package lacks ${needed}`);
}
const unwanted = files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/'));
if (unwanted.length > 0) fail(`the package ships files a user does not need: ${unwanted.slice(0, 5).join(', ')}`);
step(`${packed.filename}: ${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB packed`);

const consumer = join(work, 'consumer');
mkdirSync(consumer);
writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
step('npm install the tarball into an empty project');
run('npm', ['install', '--no-audit', '--no-fund', join(work, packed.filename)], { cwd: consumer, stdio: ['ignore', 'pipe', 'inherit'] });

const env = { ...process.env, DAEDALUS_HOME: join(work, 'home') };
delete env.DAEDALUS_BUS;
const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version;
for (const bin of ['daedalus-swarm', 'daedalus']) {
  const out = run('npx', ['--no-install', bin, '--version'], { cwd: consumer, env }).trim();
  if (out !== version) fail(`npx ${bin} --version printed "${out}", expected ${version}`);
  step(`npx ${bin} --version: ${out}`);
}

step('npx daedalus demo');
const demo = run('npx', ['--no-install', 'daedalus', 'demo'], { cwd: consumer, env, timeout: 10 * 60_000 });
if (!/run \S+ \(swarm-launcher-redesign\): done/.test(demo)) fail(`the demo did not finish its run:\n${demo}`);
const root = /remove it with: rm -rf (\S+)/.exec(demo)?.[1];
if (root) rmSync(root, { recursive: true, force: true });
step('the demo ran its plan to the end');

/** Starts an MCP server, sends initialize, then a tools/call whoami; resolves with both answers. */
const mcpAnswers = (command, args) => new Promise((resolve, reject) => {
  const child = spawn(command, args, { cwd: consumer, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => {
    child.kill('SIGKILL');
    reject(new Error('no answer to initialize within 60 s'));
  }, 60_000);
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.on('data', (d) => {
    out += d;
    const lines = out.split('\n').slice(0, -1).filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
    const init = lines.find((m) => m.id === 1);
    const whoami = lines.find((m) => m.id === 2);
    if (!init || !whoami) return;
    clearTimeout(timer);
    child.stdin.end();
    resolve({ init, whoami });
  });
  child.on('exit', (code) => {
    clearTimeout(timer);
    reject(new Error(`${[command, ...args].join(' ')} exited with ${code} before answering:\n${err}`));
  });
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pack-test', version: '0' } } };
  const whoami = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
  child.stdin.write(`${JSON.stringify(initialize)}\n${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n${JSON.stringify(whoami)}\n`);
}).catch((e) => fail(e.message));

// Through the CLI (which hands over to the bundle), and the bundled entry Daedalus writes into
// agents' MCP configs, each answering the handshake and a call that needs the bus.
const bus = `sqlite:${join(work, 'mcp.db')}`;
for (const [what, command, args] of [
  ['npx daedalus mcp', 'npx', ['--no-install', 'daedalus', '--bus', bus, 'mcp']],
  ['node node_modules/daedalus-swarm/dist/mcp.js', process.execPath, [join(consumer, 'node_modules/daedalus-swarm/dist/mcp.js'), '--bus', bus, 'mcp']],
]) {
  step(`${what} answers initialize and whoami`);
  const { init, whoami } = await mcpAnswers(command, args);
  if (init.result?.serverInfo?.name !== 'daedalus' || init.result.serverInfo.version !== version) fail(`unexpected initialize answer: ${JSON.stringify(init)}`);
  const who = JSON.parse(whoami.result?.content?.[0]?.text ?? '{}');
  if (whoami.result?.isError || who.registered !== false) fail(`unexpected whoami answer: ${JSON.stringify(whoami)}`);
  step(`initialize answered by ${init.result.serverInfo.name} ${init.result.serverInfo.version}; whoami: registered ${who.registered}`);
}

step('npx daedalus ui serves its built page');
// The installed bin itself, not through npx: npm exec does not pass Ctrl-C on to a long-running child.
const ui = spawn(join(consumer, 'node_modules', '.bin', 'daedalus'), ['--bus', `sqlite:${join(work, 'ui.db')}`, 'ui', '--scope', '/pack-test'], { cwd: consumer, env, stdio: ['ignore', 'pipe', 'pipe'] });
try {
  const url = await new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no URL within 60 s:\n${out}${err}`)), 60_000);
    ui.stderr.on('data', (d) => (err += d));
    ui.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    ui.on('exit', (code) => reject(new Error(`daedalus ui exited with ${code}:\n${err}`)));
  }).catch((e) => fail(e.message));
  const page = await fetch(url);
  const html = await page.text();
  if (page.status !== 200 || !html.includes('/assets/app.js')) fail(`the dashboard page did not load (${page.status})`);
  const token = new URL(url).searchParams.get('token');
  const script = await fetch(new URL('/assets/app.js', url), { headers: { 'x-daedalus-token': token } });
  if (script.status !== 200 || (await script.text()).length < 10_000) fail('the dashboard bundle is not served from the installed package');
  step(`dashboard page and bundle served at ${new URL(url).origin}`);
} finally {
  ui.kill('SIGINT');
  await new Promise((resolve) => (ui.exitCode !== null ? resolve() : ui.once('exit', resolve)));
}

rmSync(work, { recursive: true, force: true });
step('ok');
