import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fake file-system root holding only the given /proc and /sys files. */
export interface FakeRoot {
  dir: string;
  write(path: string, text: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeFakeRoot(files: Record<string, string>): Promise<FakeRoot> {
  const dir = await mkdtemp(join(tmpdir(), 'daedalus-resources-'));
  const write = async (path: string, text: string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(files)) await write(path, text);
  return { dir, write, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const MEMINFO_8G = `MemTotal:        8000000 kB
MemFree:         1000000 kB
MemAvailable:    6000000 kB
Buffers:          100000 kB
Cached:          2000000 kB
`;

/** A host mountinfo with cgroup v2 mounted at /sys/fs/cgroup (unified hierarchy). */
export const MOUNTINFO_V2 = `22 1 0:21 / /proc rw,nosuid - proc proc rw
25 23 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

/** A hybrid host: v1 controllers plus an empty v2 hierarchy at /sys/fs/cgroup/unified. */
export const MOUNTINFO_HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

export const PROC_STAT = (busy: number, idle: number) =>
  `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 ${busy} 0 0 ${idle} 0 0 0 0 0 0\nintr 1 2 3\n`;
