import type { BusEvent } from '../api-types.js';

type Listener = (events: BusEvent[]) => void;

/**
 * The bus's events, pushed by the server over one EventSource. On a dropped connection the browser
 * reconnects with the last id it saw and the server sends what was missed, so no event is lost.
 */
export class Live {
  private readonly listeners = new Set<Listener>();
  private source: EventSource | null = null;
  lastId = 0;
  onStatus: (status: 'live' | 'reconnecting') => void = () => undefined;

  connect(): void {
    const src = new EventSource('/api/stream');
    this.source = src;
    src.addEventListener('open', () => this.onStatus('live'));
    src.addEventListener('error', () => this.onStatus('reconnecting'));
    src.addEventListener('bus', (m) => {
      const events = JSON.parse((m as MessageEvent<string>).data) as BusEvent[];
      if (events.length === 0) return;
      this.lastId = events.at(-1)!.id;
      for (const l of this.listeners) l(events);
    });
  }

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  close(): void {
    this.source?.close();
  }
}

/**
 * Runs `fn` at once, and again after it finishes if anything asked meanwhile: a view refreshes as
 * soon as the bus changes, and a flood of events costs one refresh at a time, not one per event.
 */
export function refresher(fn: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await fn();
      } while (again);
    } finally {
      running = false;
    }
  };
  return () => void run();
}
