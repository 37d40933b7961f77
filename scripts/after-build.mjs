// The bin entry must be executable after every build; tsc does not keep file modes. Its first line
// becomes a shell preamble that starts Node with few malloc arenas (src/common/malloc-arenas.ts).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

const bin = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(bin)) {
  const { BIN_PREAMBLE } = await import(new URL('../dist/common/malloc-arenas.js', import.meta.url).href);
  const text = readFileSync(bin, 'utf8');
  // tsc wrote `#!/usr/bin/env node`; a bin that has the preamble already (run twice) is left as it is.
  if (!text.startsWith(BIN_PREAMBLE)) writeFileSync(bin, `${BIN_PREAMBLE}\n${text.startsWith('#!') ? text.slice(text.indexOf('\n') + 1) : text}`);
  chmodSync(bin, 0o755);
}
