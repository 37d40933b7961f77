/**
 * Total estimated work of every task's transitive dependents, for the rank tie-break. A sum over a
 * reachable set cannot in general be assembled from the dependents' own sums (two paths may reach
 * the same task), so:
 * - plans where every task has at most one dependent (chains, in-trees) or at most one dependency
 *   (flat plans, out-trees) have no shared reach, and one pass adds the dependents' sums: O(V + E);
 * - any other DAG gets reachability as bitsets, 32 tasks per machine word, in blocks of targets so
 *   memory stays under BLOCK_BYTES however large the plan: O(V + E + V·(V + E)/32) time.
 * Sums of whole-millisecond estimates are exact in any order, so the result matches a per-task walk.
 */
import type { DagIndex } from '../plan/index.js';

/** Bitset memory per block of targets: 8 MiB covers a plan of 8,000 tasks in one block. */
const BLOCK_BYTES = 8 * 2 ** 20;

/** `blockBytes` bounds the bitset memory; tests lower it to cover plans that span several blocks. */
export function downstreamSums(g: DagIndex, w: Float64Array, blockBytes = BLOCK_BYTES): Float64Array {
  const n = g.ids.length;
  let maxIn = 0;
  let maxOut = 0;
  for (let i = 0; i < n; i++) {
    maxIn = Math.max(maxIn, (g.predStart[i + 1] as number) - (g.predStart[i] as number));
    maxOut = Math.max(maxOut, (g.succStart[i + 1] as number) - (g.succStart[i] as number));
  }
  return maxIn <= 1 || maxOut <= 1 ? forestSums(g, w) : bitsetSums(g, w, blockBytes);
}

function forestSums(g: DagIndex, w: Float64Array): Float64Array {
  const below = new Float64Array(g.ids.length);
  for (let o = g.order.length - 1; o >= 0; o--) {
    const i = g.order[o] as number;
    let sum = 0;
    for (let k = g.succStart[i] as number; k < (g.succStart[i + 1] as number); k++) {
      const s = g.succs[k] as number;
      sum += (w[s] as number) + (below[s] as number);
    }
    below[i] = sum;
  }
  return below;
}

function bitsetSums(g: DagIndex, w: Float64Array, blockBytes: number): Float64Array {
  const n = g.ids.length;
  // Bits are numbered by topological position: a task reaches only later positions, so each row's
  // words before its own position stay zero and the loops below start where the bits can be.
  const pos = new Int32Array(n);
  g.order.forEach((i, p) => (pos[i] = p));
  const below = new Float64Array(n);
  const wordsAll = Math.ceil(n / 32);
  const words = Math.max(1, Math.min(wordsAll, Math.floor(blockBytes / 4 / Math.max(1, n))));
  const reach = new Int32Array(n * words);
  // Per byte of the block, the summed estimate of each of the 256 bit patterns.
  const table = new Float64Array(words * 4 * 256);
  for (let first = 0; first < n; first += words * 32) {
    const width = Math.min(words, Math.ceil((n - first) / 32));
    const from = (p: number): number => (p < first ? 0 : Math.min(width, (p - first) >> 5));
    reach.fill(0);
    for (let p = n - 1; p >= 0; p--) {
      const i = g.order[p] as number;
      const row = p * words;
      for (let k = g.succStart[i] as number; k < (g.succStart[i + 1] as number); k++) {
        const sp = pos[g.succs[k] as number] as number;
        const srow = sp * words;
        for (let x = from(sp); x < width; x++) reach[row + x]! |= reach[srow + x] as number;
        const bit = sp - first;
        if (bit >= 0 && bit < width * 32) reach[row + (bit >> 5)]! |= 1 << (bit & 31);
      }
    }
    for (let b = 0; b < width * 4; b++) {
      const base = b * 256;
      table[base] = 0;
      for (let pattern = 1; pattern < 256; pattern++) {
        const low = 31 - Math.clz32(pattern & -pattern);
        const p = first + b * 8 + low;
        table[base + pattern] = (table[base + (pattern & (pattern - 1))] as number) + (p < n ? (w[g.order[p] as number] as number) : 0);
      }
    }
    for (let p = 0; p < n; p++) {
      const row = p * words;
      let sum = 0;
      for (let x = from(p); x < width; x++) {
        const word = reach[row + x] as number;
        if (word === 0) continue;
        const base = x * 1024;
        sum += (table[base + (word & 255)] as number) + (table[base + 256 + ((word >>> 8) & 255)] as number) + (table[base + 512 + ((word >>> 16) & 255)] as number) + (table[base + 768 + (word >>> 24)] as number);
      }
      below[g.order[p] as number]! += sum;
    }
  }
  return below;
}
