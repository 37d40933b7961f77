import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its starting size (two 1 MB semi-spaces) in a long-lived
 * supervisor. V8 doubles it up to 16 MB a semi-space whenever allocation is brisk, and a
 * supervisor allocates briskly all the time (bus rows, git output, events), so left alone it
 * holds about 32 MB of new space — a third of its RSS — for objects that almost all die young
 * anyway. The growth factor is read at each growth, not only at start-up, which is why setting it
 * here works where `--max-semi-space-size` would have to be given on the command line. Costs a few
 * per cent more CPU in scavenges. Off with DAEDALUS_YOUNG_GENERATION=grow.
 */
export function capYoungGeneration(): void {
  if (process.env.DAEDALUS_YOUNG_GENERATION === 'grow') return;
  setFlagsFromString('--semi-space-growth-factor=1');
}
