import { resolveScope } from '../../bus/index.js';
import { editorHook } from '../../control/index.js';
import { withBus, type BusCommandOptions } from '../with-bus.js';

/** `daedalus editor-hook FILE`: $EDITOR for the chief's Claude Code (see control/editor-hook.ts). */
export async function editorHookCommand(opts: BusCommandOptions & { file: string }): Promise<void> {
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once('SIGINT', onInt);
  try {
    await withBus({ ...opts, scope: opts.scope ?? resolveScope() }, async (store, scope) => {
      const r = await editorHook({ file: opts.file, store, scope, signal: ac.signal });
      if (!r.delegated) process.exitCode = r.code;
    });
  } finally {
    process.off('SIGINT', onInt);
  }
}
