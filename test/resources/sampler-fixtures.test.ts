import { afterEach, describe, expect, it } from 'vitest';
import { SystemSampler, type SystemSamplerOptions } from '../../src/resources/index.js';
import { MEMINFO_8G, MOUNTINFO_HYBRID, MOUNTINFO_V2, PROC_STAT, makeFakeRoot, type FakeRoot } from './fixture.js';

const MiB = 1024 * 1024;
const roots: FakeRoot[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => r.cleanup()));
});

/**
 * A sampler over a fixture tree whose clock only moves when the sampler sleeps or the test says
 * so; `onSleep` lets the test change counters "during" the priming wait.
 */
async function setup(files: Record<string, string>, opts: Partial<SystemSamplerOptions> & { onSleep?: (ms: number) => Promise<void> } = {}) {
  const root = await makeFakeRoot(files);
  roots.push(root);
  const clock = { t: 1000 };
  const sampler = new SystemSampler({
    fsRoot: root.dir,
    platform: 'linux',
    hostCpus: 4,
    primeMs: 200,
    monotonic: () => clock.t,
    now: () => clock.t,
    sleep: async (ms) => {
      clock.t += ms;
      await opts.onSleep?.(ms);
    },
    ...opts,
  });
  return { root, clock, sampler };
}

describe('SystemSampler on cgroup v2 fixtures', () => {
  const app = '/sys/fs/cgroup/user.slice/app.scope';

  it('uses our cgroup’s cpu.max budget and usage_usec delta, and memory.current minus inactive_file', async () => {
    let usage = 1_000_000;
    const { root, clock, sampler } = await setup(
      {
        '/proc/self/cgroup': '0::/user.slice/app.scope\n',
        '/proc/self/mountinfo': MOUNTINFO_V2,
        '/proc/meminfo': MEMINFO_8G,
        '/proc/stat': PROC_STAT(100, 900),
        [`${app}/cpu.max`]: '100000 100000\n',
        [`${app}/cpu.stat`]: `usage_usec ${usage}\nuser_usec 1\n`,
        [`${app}/memory.max`]: `${1024 * MiB}\n`,
        [`${app}/memory.current`]: `${600 * MiB}\n`,
        [`${app}/memory.stat`]: `anon 1\ninactive_file ${100 * MiB}\nactive_file 5\n`,
      },
      {
        // Half a CPU busy during the priming wait.
        onSleep: async (ms) => {
          usage += ms * 500;
          await root.write(`${app}/cpu.stat`, `usage_usec ${usage}\n`);
        },
      },
    );
    const first = await sampler.sample();
    expect(first).toMatchObject({ cpuSource: 'cgroup-v2', cpuCores: 1, memorySource: 'cgroup-v2', notes: [] });
    expect(first.cpuPercent).toBeCloseTo(50);
    expect(first.memoryUsedBytes).toBe(500 * MiB);
    expect(first.memoryAvailableBytes).toBe(524 * MiB);
    expect(first.memoryPercent).toBeCloseTo((500 / 1024) * 100);

    // A full CPU for the next second: no priming wait, the delta runs from the last reading.
    clock.t += 1000;
    usage += 1_000_000;
    await root.write(`${app}/cpu.stat`, `usage_usec ${usage}\n`);
    const second = await sampler.sample();
    expect(second.cpuPercent).toBeCloseTo(100);
  });

  it('takes the tightest limit on any ancestor, with that ancestor’s usage', async () => {
    const slice = '/sys/fs/cgroup/user.slice';
    const { sampler } = await setup({
      '/proc/self/cgroup': '0::/user.slice/app.scope\n',
      '/proc/self/mountinfo': MOUNTINFO_V2,
      '/proc/meminfo': MEMINFO_8G,
      '/proc/stat': PROC_STAT(100, 900),
      [`${app}/cpu.max`]: 'max 100000\n',
      [`${app}/cpu.stat`]: 'usage_usec 5\n',
      [`${app}/memory.max`]: `${2048 * MiB}\n`,
      [`${app}/memory.current`]: `${100 * MiB}\n`,
      [`${slice}/cpu.max`]: '200000 100000\n',
      [`${slice}/cpu.stat`]: 'usage_usec 5\n',
      [`${slice}/memory.max`]: `${1024 * MiB}\n`,
      [`${slice}/memory.current`]: `${900 * MiB}\n`,
    });
    const s = await sampler.sample();
    expect(s).toMatchObject({ cpuSource: 'cgroup-v2', cpuCores: 2, memorySource: 'cgroup-v2', memoryLimitBytes: 1024 * MiB, memoryUsedBytes: 900 * MiB });
  });

  it('falls back to /proc/stat and /proc/meminfo when the cgroup sets no limit (or one above the host)', async () => {
    let busy = 100;
    let idle = 900;
    const { root, sampler } = await setup(
      {
        '/proc/self/cgroup': '0::/user.slice/app.scope\n',
        '/proc/self/mountinfo': MOUNTINFO_V2,
        '/proc/meminfo': MEMINFO_8G,
        '/proc/stat': PROC_STAT(busy, idle),
        [`${app}/cpu.max`]: '800000 100000\n', // 8 CPUs on a 4-CPU host: never binds
        [`${app}/cpu.stat`]: 'usage_usec 5\n',
        [`${app}/memory.max`]: 'max\n',
        [`${app}/memory.current`]: `${100 * MiB}\n`,
        '/sys/fs/cgroup/user.slice/memory.max': `${16 * 1024 * MiB}\n`, // above MemTotal
        '/sys/fs/cgroup/user.slice/memory.current': `${100 * MiB}\n`,
      },
      {
        onSleep: async () => {
          busy += 30;
          idle += 70;
          await root.write('/proc/stat', PROC_STAT(busy, idle));
        },
      },
    );
    const s = await sampler.sample();
    expect(s).toMatchObject({ cpuSource: 'proc-stat', cpuCores: 4, memorySource: 'proc-meminfo' });
    expect(s.cpuPercent).toBeCloseTo(30);
    expect(s.memoryLimitBytes).toBe(8_000_000 * 1024);
    expect(s.memoryAvailableBytes).toBe(6_000_000 * 1024);
    expect(s.memoryPercent).toBeCloseTo(25);
  });

  it('strips the mount root when a container sees the host’s cgroup path (no cgroup namespace)', async () => {
    const { sampler } = await setup({
      '/proc/self/cgroup': '0::/docker/abc/app\n',
      '/proc/self/mountinfo': '25 23 0:24 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n',
      '/proc/meminfo': MEMINFO_8G,
      '/proc/stat': PROC_STAT(1, 1),
      '/sys/fs/cgroup/app/cpu.max': '50000 100000\n',
      '/sys/fs/cgroup/app/cpu.stat': 'usage_usec 5\n',
      '/sys/fs/cgroup/memory.max': `${256 * MiB}\n`,
      '/sys/fs/cgroup/memory.current': `${64 * MiB}\n`,
    });
    const s = await sampler.sample();
    expect(s).toMatchObject({ cpuSource: 'cgroup-v2', cpuCores: 0.5, memorySource: 'cgroup-v2', memoryPercent: 25 });
  });
});

describe('SystemSampler on cgroup v1 (hybrid host) fixtures', () => {
  it('reads cfs quota, cpuacct.usage and memory.limit_in_bytes minus total_inactive_file', async () => {
    const cpu = '/sys/fs/cgroup/cpu,cpuacct/process_api/x';
    const mem = '/sys/fs/cgroup/memory/process_api/x';
    let ns = 10_000_000_000;
    const { root, sampler } = await setup(
      {
        '/proc/self/cgroup': '4:memory:/process_api/x\n2:cpu,cpuacct:/process_api/x\n1:name=systemd:/\n0::/\n',
        '/proc/self/mountinfo': MOUNTINFO_HYBRID,
        '/proc/meminfo': MEMINFO_8G,
        '/proc/stat': PROC_STAT(1, 1),
        [`${cpu}/cpu.cfs_quota_us`]: '50000\n',
        [`${cpu}/cpu.cfs_period_us`]: '100000\n',
        [`${cpu}/cpuacct.usage`]: `${ns}\n`,
        '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
        '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
        [`${mem}/memory.limit_in_bytes`]: `${512 * MiB}\n`,
        [`${mem}/memory.usage_in_bytes`]: `${400 * MiB}\n`,
        [`${mem}/memory.stat`]: `cache 1\ninactive_file 1\ntotal_inactive_file ${16 * MiB}\n`,
        '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
      },
      {
        // A quarter CPU over the wait: half the 0.5-CPU budget.
        onSleep: async (ms) => {
          ns += ms * 250_000;
          await root.write(`${cpu}/cpuacct.usage`, `${ns}\n`);
        },
      },
    );
    const s = await sampler.sample();
    expect(s).toMatchObject({ cpuSource: 'cgroup-v1', cpuCores: 0.5, memorySource: 'cgroup-v1', memoryUsedBytes: 384 * MiB });
    expect(s.cpuPercent).toBeCloseTo(50);
    expect(s.memoryPercent).toBeCloseTo(75);
  });
});

describe('SystemSampler without the kernel files', () => {
  it('never throws on a box without /proc, falls back to loadavg and freemem, and says so', async () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const { sampler } = await setup({}, { platform });
      const s = await sampler.sample();
      expect(s.cpuSource).toBe('loadavg');
      expect(s.memorySource).toBe('os');
      expect(s.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(s.cpuPercent).toBeLessThanOrEqual(100);
      expect(s.memoryLimitBytes).toBeGreaterThan(0);
      expect(s.notes.join(' ')).toMatch(/load average/);
      expect(s.notes.join(' ')).toMatch(/freemem/);
    }
  });
});
