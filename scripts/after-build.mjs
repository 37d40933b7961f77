// The bin entry must be executable after every build; tsc does not keep file modes. Its first line
// becomes a shell preamble that starts Node with few malloc arenas (src/common/malloc-arenas.ts).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

const bin = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(bin)) {
  const { BIN_PREAMBLE } = await import(new URL('../dist/common/malloc-arenas.js', import.meta.url).href);
  const text = readFileSync(bin, 'utf8');
  const body = text.startsWith('#!') ? text.slice(text.indexOf('\n') + 1) : text;
  writeFileSync(bin, `${BIN_PREAMBLE}\n${body}`);
  chmodSync(bin, 0o755);
}
