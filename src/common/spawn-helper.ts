/**
 * The spawn helper: a small process that starts the supervisor's git commands and agent groups on
 * its behalf (see spawner.ts for why). It imports nothing but child_process, so it starts fast and
 * stays small — the smaller the process that forks, the cheaper each fork.
 *
 * One JSON object per line each way. Requests: `run` (a command whose output is wanted whole),
 * `group` (an agent's guard: streamed output, exit, close) and `kill`. It exits when its stdin
 * ends, i.e. when the supervisor is gone; that closes every guard's stdin pipe, and each guard then
 * kills its group, exactly as when the supervisor held those pipes itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';

interface Start {
  id: number;
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}
type Request = ({ op: 'run'; input?: string } & Start) | ({ op: 'group' } & Start) | { op: 'kill'; id: number; signal: NodeJS.Signals };

const live = new Map<number, ChildProcess>();
const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
const ignore = () => undefined;

function startError(id: number, e: NodeJS.ErrnoException): void {
  live.delete(id);
  send({ id, ev: 'error', code: e.code, message: e.message });
}

function run(r: Extract<Request, { op: 'run' }>): void {
  const child = spawn(r.file, r.args, { cwd: r.cwd, env: r.env, stdio: [r.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  live.set(r.id, child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  // A command that cannot start reports 'error' and may still report 'close': the first one answers.
  let answered = false;
  child.on('error', (e) => {
    if (answered) return;
    answered = true;
    startError(r.id, e);
  });
  child.on('close', (code, signal) => {
    if (answered) return;
    answered = true;
    live.delete(r.id);
    send({ id: r.id, ev: 'close', code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
  });
  if (child.stdin) {
    child.stdin.on('error', ignore);
    child.stdin.end(r.input);
  }
}

function group(r: Extract<Request, { op: 'group' }>): void {
  const child = spawn(r.file, r.args, { cwd: r.cwd, env: r.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  live.set(r.id, child);
  child.stdin!.on('error', ignore);
  child.once('error', (e) => startError(r.id, e));
  child.once('spawn', () => send({ id: r.id, ev: 'spawn', pid: child.pid }));
  child.stdout!.on('data', (b: Buffer) => send({ id: r.id, ev: 'out', s: 1, b: b.toString('base64') }));
  child.stderr!.on('data', (b: Buffer) => send({ id: r.id, ev: 'out', s: 2, b: b.toString('base64') }));
  child.on('exit', (code, signal) => {
    // The guard's pipe stays open for the agent's life; closing it now lets the guard sweep the group.
    child.stdin!.end();
    send({ id: r.id, ev: 'exit', code, signal });
  });
  child.on('close', () => {
    live.delete(r.id);
    send({ id: r.id, ev: 'close' });
  });
}

function handle(line: string): void {
  const r = JSON.parse(line) as Request;
  if (r.op === 'run') run(r);
  else if (r.op === 'group') group(r);
  else live.get(r.id)?.kill(r.signal);
}

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (line !== '') handle(line);
  }
});
process.stdin.on('end', () => process.exit(0));
// A terminal's Ctrl-C or hang-up reaches the supervisor's whole group, this helper included; the
// supervisor decides what happens to its agents, and this helper follows it out through its stdin.
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, ignore);
// The supervisor stopped reading (it is gone): nothing left to do for it.
process.stdout.on('error', () => process.exit(0));
