import { openStore, resolveScope, type Store } from '../bus/index.js';
import { processOutput, type Output } from '../common/index.js';

/** What every command that talks to the bus accepts. */
export interface BusCommandOptions {
  bus?: string;
  /** Default: the scope of the current directory's repository. */
  scope?: string;
  json?: boolean;
  output?: Output;
  cwd?: string;
}

/** Opens the bus, runs fn, and always closes it, so a command never leaves a pool or a file open. */
export async function withBus<T>(opts: BusCommandOptions, fn: (store: Store, scope: string, out: Output) => Promise<T>): Promise<T> {
  // Commands read (or send into) a bus something else made: a missing one is a mistake, not empty.
  const store = await openStore(opts.bus, { mustExist: true });
  try {
    return await fn(store, opts.scope ?? resolveScope(opts.cwd ?? process.cwd()), opts.output ?? processOutput);
  } finally {
    await store.close();
  }
}

export const printJson = (out: Output, value: unknown) => out.out(JSON.stringify(value, null, 2));
