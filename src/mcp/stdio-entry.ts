// The entry of `daedalus mcp` on its own: bundled by the build into dist/mcp.js, which is what
// agents' MCP configurations run (and what `daedalus mcp` hands over to). It takes the CLI's
// grammar for this one command, `[--bus ADDRESS] [mcp]`, so `node dist/mcp.js mcp` and
// `daedalus mcp` mean the same. Kept free of static imports of anything heavy: see run.ts.
import { runMcpServer } from './run.js';

const USAGE = 'usage: daedalus [--bus ADDRESS] mcp  (serves the bus to one agent over stdio)';

function busOption(argv: string[]): { bus?: string } | string {
  let bus: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === 'mcp') continue;
    if (a === '--bus' && i + 1 < argv.length) bus = argv[++i];
    else if (a.startsWith('--bus=')) bus = a.slice('--bus='.length);
    else return `unexpected argument ${JSON.stringify(a)}`;
  }
  return { bus };
}

const parsed = busOption(process.argv.slice(2));
if (typeof parsed === 'string') {
  process.stderr.write(`daedalus mcp: ${parsed}\n${USAGE}\n`);
  process.exitCode = 2;
} else {
  runMcpServer({ bus: parsed.bus ?? process.env.DAEDALUS_BUS }).catch((e: unknown) => {
    process.stderr.write(`[daedalus mcp] error ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
