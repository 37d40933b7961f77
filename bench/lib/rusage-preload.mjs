// Preloaded into a measured child (`node --import`): at exit, appends the process's own peak RSS and
// CPU time as one JSON line to $DAEDALUS_BENCH_RUSAGE, so no external `time` tool is needed. Given in
// NODE_OPTIONS it reaches the process's Node children too (the spawn helper); `script` tells them apart.
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';

const out = process.env.DAEDALUS_BENCH_RUSAGE;
if (out) {
  process.on('exit', () => {
    const r = process.resourceUsage();
    appendFileSync(out, `${JSON.stringify({ maxRssKb: r.maxRSS, cpuUs: r.userCPUTime + r.systemCPUTime, script: basename(process.argv[1] ?? '') })}\n`);
  });
}
