/**
 * The spawn helper: a small process that starts the supervisor's git commands and agent groups on
 * its behalf (see spawner.ts for why), with the same direct spawner the supervisor would use. It
 * loads nothing else, so it starts fast and stays small — the smaller the process that forks, the
 * cheaper each fork.
 *
 * One JSON object per line each way. Requests: `run` (a command whose output is wanted whole),
 * `group` (an agent's guard: streamed output, exit, close) and `kill`. It exits when its stdin
 * ends, i.e. when the supervisor is gone; that closes every guard's stdin pipe, and each guard then
 * kills its group, exactly as when the supervisor held those pipes itself.
 */
import { directSpawner, onJsonLines, SpawnError, type HelperReply, type HelperRequest } from './spawner.js';

const running = new Map<number, AbortController>();
const send = (message: HelperReply) => process.stdout.write(`${JSON.stringify(message)}\n`);
const failed = (id: number) => (e: unknown) => send({ id, ev: 'error', code: e instanceof SpawnError ? e.code : undefined, message: (e as Error).message });

function handle(r: HelperRequest): void {
  if (r.op === 'kill') {
    running.get(r.id)?.abort();
    return;
  }
  if (r.op === 'run') {
    const ac = new AbortController();
    running.set(r.id, ac);
    directSpawner
      .run(r.file, r.args, { cwd: r.cwd, env: r.env, input: r.input, signal: ac.signal })
      .then((o) => send({ id: r.id, ev: 'done', ...o }), failed(r.id))
      .finally(() => running.delete(r.id));
    return;
  }
  const onOutput = (b: Buffer, s: 1 | 2) => send({ id: r.id, ev: 'out', s, b: b.toString('base64') });
  directSpawner.group(r.file, r.args, { cwd: r.cwd, env: r.env, onOutput }).then((g) => {
    send({ id: r.id, ev: 'spawn', pid: g.pid });
    void g.exit.then((e) => send({ id: r.id, ev: 'exit', ...e }));
    void g.closed.then(() => send({ id: r.id, ev: 'close' }));
  }, failed(r.id));
}

onJsonLines(process.stdin, (r: HelperRequest) => handle(r));
process.stdin.on('end', () => process.exit(0));
// A terminal's Ctrl-C or hang-up reaches the supervisor's whole group, this helper included; the
// supervisor decides what happens to its agents, and this helper follows it out through its stdin.
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => undefined);
// The supervisor stopped reading (it is gone): nothing left to do for it.
process.stdout.on('error', () => process.exit(0));
