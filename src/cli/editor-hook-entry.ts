// `daedalus editor-hook FILE` on its own: bundled by the build into dist/editor-hook.js, which the
// chief's $EDITOR shim and `daedalus editor-hook` hand over to. Ctrl-G waits on this process, and
// loading the whole CLI (the argument parser, every command's modules, one file at a time) cost
// more than everything else the hook does; see bench/control-plane.bench.ts.
// The grammar is the CLI's for this one command: `[--bus ADDRESS] [--scope SCOPE] editor-hook FILE`.
import { editorHookCommand } from './commands/editor-hook.js';
import { EXIT, processOutput, reportError } from './output.js';

const USAGE = 'usage: daedalus [--bus ADDRESS] [--scope SCOPE] editor-hook FILE';

function parseEditorHookArgs(argv: string[]): { bus?: string; scope?: string; file: string } | string {
  let bus: string | undefined;
  let scope: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === 'editor-hook') continue;
    if ((a === '--bus' || a === '--scope') && i + 1 < argv.length) {
      if (a === '--bus') bus = argv[++i];
      else scope = argv[++i];
    } else if (a.startsWith('--bus=')) bus = a.slice('--bus='.length);
    else if (a.startsWith('--scope=')) scope = a.slice('--scope='.length);
    else if (a.startsWith('-')) return `unexpected option ${JSON.stringify(a)}`;
    else files.push(a);
  }
  if (files.length !== 1) return files.length === 0 ? 'the file to edit is missing' : `one file, not ${files.length}`;
  return { bus, scope, file: files[0]! };
}

const parsed = parseEditorHookArgs(process.argv.slice(2));
if (typeof parsed === 'string') {
  process.stderr.write(`daedalus editor-hook: ${parsed}\n${USAGE}\n`);
  process.exitCode = EXIT.usage;
} else {
  editorHookCommand(parsed).then(
    () => undefined,
    (e: unknown) => {
      process.exitCode = reportError(e, processOutput);
    },
  );
}
