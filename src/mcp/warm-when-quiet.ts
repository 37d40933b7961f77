import type { DaedalusServer } from './server.js';

/**
 * How long after the handshake's last answer a server starts loading its tools and attaching to
 * the bus. A client lists tools, resources and prompts right after `initialize`, and loading blocks
 * the event loop, so it waits for a quiet gap instead of delaying those answers. After the listing
 * the gap is long: the agent CLI is still on its way to its first model request then, on the same
 * cores, and loading (with the adoption's bus writes, which wake the supervisor) would slow it
 * down; the model's first answer takes longer than this wait, so the tools are loaded by the time
 * it calls one. These are only about speed: a call that needs the bus loads it at once.
 */
const QUIET_AFTER_INITIALIZE_MS = 500;
const QUIET_AFTER_LISTING_MS = 1500;

/** Warms the server once its client has been quiet for a while; returns the cancel. */
export function warmWhenQuiet(server: DaedalusServer, warmed: () => boolean): () => void {
  let quiet: NodeJS.Timeout | undefined;
  server.onanswered = (method) => {
    clearTimeout(quiet);
    if (warmed()) return;
    quiet = setTimeout(() => server.warm(), method === 'initialize' ? QUIET_AFTER_INITIALIZE_MS : QUIET_AFTER_LISTING_MS);
    quiet.unref();
  };
  return () => clearTimeout(quiet);
}
