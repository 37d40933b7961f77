import { execFileSync } from 'node:child_process';

/**
 * Clock ticks per second and the page size, which /proc/PID/stat counts in. Node exposes
 * neither, so `getconf` is asked once per process. The fallbacks are the values of every common
 * Linux build on x86-64 (USER_HZ is fixed at 100 there); arm64 kernels with 16K or 64K pages are
 * the reason the page size is asked rather than assumed.
 */
export interface SysConf {
  clockTicks: number;
  pageSize: number;
}

let cached: SysConf | undefined;

export function sysconf(): SysConf {
  cached ??= { clockTicks: getconf('CLK_TCK', 100), pageSize: getconf('PAGESIZE', 4096) };
  return cached;
}

function getconf(name: string, fallback: number): number {
  if (process.platform !== 'linux') return fallback;
  try {
    const n = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(n) && n > 0 ? n : fallback;
  } catch {
    return fallback;
  }
}
