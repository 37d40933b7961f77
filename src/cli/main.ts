#!/usr/bin/env node
// `daedalus mcp` starts once for every agent and the agent waits for it, so it skips the CLI: it
// goes straight to the bundled server (dist/mcp.js, built by scripts/build-mcp.mjs) without
// loading the argument parser or any other command. Anything else, `daedalus mcp --help` included,
// goes through the full CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `[--bus ADDRESS | --bus=ADDRESS] mcp [--bus …]`: the forms the bundled entry understands itself. */
function isPlainMcp(args: string[]): boolean {
  let commands = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'mcp') commands++;
    else if (a === '--bus' && i + 1 < args.length) i++;
    else if (!a.startsWith('--bus=')) return false;
  }
  return commands === 1;
}

/** `[--bus ADDRESS] [--scope SCOPE] editor-hook FILE`: Ctrl-G waits on it, so it skips the CLI too. */
function isPlainEditorHook(args: string[]): boolean {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === '--bus' || a === '--scope') && i + 1 < args.length) i++;
    else if (a.startsWith('-') && !a.startsWith('--bus=') && !a.startsWith('--scope=')) return false;
    else if (!a.startsWith('-')) words.push(a);
  }
  return words.length === 2 && words[0] === 'editor-hook';
}

const bundled = new URL('../mcp.js', import.meta.url);
const hook = new URL('../editor-hook.js', import.meta.url);
const args = process.argv.slice(2);
if (isPlainMcp(args) && existsSync(fileURLToPath(bundled))) {
  await import(bundled.href);
} else if (isPlainEditorHook(args) && existsSync(fileURLToPath(hook))) {
  await import(hook.href);
} else {
  (await import('./cli.js')).runCli(process.argv);
}
