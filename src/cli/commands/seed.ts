import { join, resolve } from 'node:path';
import { runDialogue } from '../../agents/index.js';
import { resolveScope } from '../../bus/index.js';
import { DaedalusError, processOutput, type Output } from '../../common/index.js';
import { attachCommand, controlSocket, openDialogueWindow } from '../../control/index.js';
import { seedCapture, seedEdit, seedShow, type SeedInfo } from '../../harness/index.js';

export interface SeedCommandOptions {
  repo?: string;
  json?: boolean;
  output?: Output;
}

function print(info: SeedInfo, opts: SeedCommandOptions): void {
  const out = opts.output ?? processOutput;
  if (opts.json) return out.out(JSON.stringify(info, null, 2));
  out.out(info.text === null ? `no seed yet (${info.path}); create one with: daedalus seed edit` : `${info.path} (~${info.tokens} tokens)\n\n${info.text}`);
}

/** `daedalus seed show`. */
export async function seedShowCommand(opts: SeedCommandOptions): Promise<void> {
  print(await seedShow({ repo: opts.repo }), opts);
}

/** `daedalus seed edit`: $VISUAL / $EDITOR on the seed, then the seed as saved. */
export async function seedEditCommand(opts: SeedCommandOptions): Promise<void> {
  print(await seedEdit({ repo: opts.repo }), opts);
}

/** `daedalus seed capture FILE`: a transcript (or any text) becomes the seed. */
export async function seedCaptureCommand(opts: SeedCommandOptions & { file: string }): Promise<void> {
  const r = await seedCapture({ repo: opts.repo, file: opts.file });
  (opts.output ?? processOutput).out(`captured ${r.turns} turn(s) into ${r.path} (~${r.tokens} tokens)`);
}

export interface SeedDialogueOptions extends SeedCommandOptions {
  turns?: string;
  capture?: boolean;
  /** Run in this terminal even when a control plane is running. */
  here?: boolean;
  /** The transcript file (default .daedalus/dialogue.md). */
  out?: string;
  signal?: AbortSignal;
}

/**
 * `daedalus seed dialogue`: Daedalus talks with a nascent Icarus (two Claude Code sessions). In the
 * control plane's `dialogue` window when one is running, else here; `--capture` stores the
 * transcript as the seed when they are done (else: daedalus seed capture FILE).
 */
export async function seedDialogueCommand(opts: SeedDialogueOptions): Promise<void> {
  const out = opts.output ?? processOutput;
  const repo = resolveScope(opts.repo ?? process.cwd(), {});
  const exchanges = Number(opts.turns ?? '4');
  if (!/^\d+$/.test(opts.turns ?? '4')) throw new DaedalusError('INVALID_INPUT', `--turns "${opts.turns}" is not a number`, 'give the number of exchanges, e.g. --turns 4');
  const file = resolve(opts.out ?? join(repo, '.daedalus', 'dialogue.md'));
  if (!opts.here) {
    const socket = controlSocket(repo);
    const args = ['--repo', repo, '--turns', String(exchanges), '--out', file, ...(opts.capture ? ['--capture'] : [])];
    const window = await openDialogueWindow({ socket, cwd: repo, args });
    if (window) {
      out.out(`the dialogue runs in window "${window}" of the control plane: ${attachCommand(socket)}, then prefix w`);
      out.out(`transcript: ${file}${opts.capture ? ' (stored as the seed when it ends)' : `; store it with: daedalus seed capture ${file}`}`);
      return;
    }
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  out.out(`Daedalus and a nascent Icarus: ${exchanges} exchange(s); transcript: ${file}`);
  const r = await runDialogue({ scope: repo, exchanges, env, file, out: (l) => out.out(l), signal: opts.signal });
  if (opts.capture) {
    const c = await seedCapture({ repo, file: r.file });
    out.out(`\nstored as the seed: ${c.path} (~${c.tokens} tokens)`);
  } else {
    out.out(`\nstore it as the seed with: daedalus seed capture ${r.file}`);
  }
}
