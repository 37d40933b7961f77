import { processOutput, type Output } from '../../common/index.js';
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
