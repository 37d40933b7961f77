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

const bundled = new URL('../mcp.js', import.meta.url);
if (isPlainMcp(process.argv.slice(2)) && existsSync(fileURLToPath(bundled))) {
  await import(bundled.href);
} else {
  (await import('./cli.js')).runCli(process.argv);
}
