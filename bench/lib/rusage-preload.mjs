// Preloaded into a measured child (`node --import`): at exit, appends the process's own peak RSS and
// CPU time as one JSON line to $DAEDALUS_BENCH_RUSAGE, so no external `time` tool is needed.
import { appendFileSync } from 'node:fs';

const out = process.env.DAEDALUS_BENCH_RUSAGE;
if (out) {
  process.on('exit', () => {
    const r = process.resourceUsage();
    appendFileSync(out, `${JSON.stringify({ maxRssKb: r.maxRSS, cpuUs: r.userCPUTime + r.systemCPUTime })}\n`);
  });
}
