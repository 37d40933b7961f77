import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

/**
 * A full garbage collection now. A supervisor of thousands of tasks allocates steadily (git
 * output, rows, events) and V8 lets its heap grow long before it collects; collecting after the
 * plan is loaded and every few dozen finished attempts keeps its resident memory near what it
 * really holds. The `gc` function is only reachable this way without a command-line flag.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
