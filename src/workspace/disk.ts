import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes a directory tree occupies on disk (allocated blocks, like `du`), following no symlinks.
 * Unreadable entries count as zero: this is a size for a listing, not an audit.
 */
export async function diskUsage(path: string): Promise<number> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return 0;
  }
  const own = st.blocks !== undefined ? st.blocks * 512 : st.size;
  if (!st.isDirectory()) return own;
  let names: string[];
  try {
    names = await readdir(path);
  } catch {
    return own;
  }
  const sizes = await Promise.all(names.map((n) => diskUsage(join(path, n))));
  return sizes.reduce((a, b) => a + b, own);
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} ${units[i]}` : `${v.toFixed(1)} ${units[i]}`;
}
