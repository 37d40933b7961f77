import type { BusEvent, Overview } from '../api-types.js';
import type { get, post } from './api.js';
import { h } from './dom.js';
import type { Live} from './live.js';
import { refresher } from './live.js';

/** What every view gets: the server, the live event feed, and a place to say things. */
export interface App {
  live: Live;
  get: typeof get;
  post: typeof post;
  /** Shows the outcome of an action (or its error) in the status line. */
  say(text: string, error?: boolean): void;
  /** Runs a change and reports it; errors are shown, not thrown. */
  act(what: string, fn: () => Promise<unknown>): Promise<boolean>;
  overview: Overview | null;
}

/** A view draws into its element and returns what undoes its subscriptions. */
export type View = (root: HTMLElement, app: App, params: string[]) => (() => void) | void;

/**
 * Subscribes a view to the bus: any event passing `filter` refreshes it, one refresh at a time and,
 * for views that cost the server a full read (metrics), at most once per `minGapMs`.
 */
export function liveRefresh(app: App, render: () => Promise<void>, filter: (e: BusEvent) => boolean = () => true, minGapMs = 0): () => void {
  let last = 0;
  let timer: number | null = null;
  const again = refresher(async () => {
    last = Date.now();
    await render().catch((e: unknown) => app.say((e as Error).message, true));
  });
  again();
  const off = app.live.on((events) => {
    if (!events.some(filter) || timer !== null) return;
    const wait = last + minGapMs - Date.now();
    if (wait <= 0) again();
    else
      timer = window.setTimeout(() => {
        timer = null;
        again();
      }, wait);
  });
  return () => {
    off();
    if (timer !== null) clearTimeout(timer);
  };
}

export function button(text: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  return h('button', { type: 'button', ...attrs, onclick: (() => onClick()) as EventListener }, text);
}
