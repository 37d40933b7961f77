import type { Store } from '../bus/index.js';
import type { EventHub } from './event-hub.js';
import type { ResourceHistory } from './resource-history.js';

/** What every route of one dashboard shares. */
export interface UiContext {
  store: Store;
  scope: string;
  /** $DAEDALUS_HOME: where attempts' output logs are. */
  home: string;
  /** Who steers from this dashboard: `human:USER`. */
  user: string;
  hub: EventHub;
  resources: ResourceHistory;
  now: () => number;
  env: Record<string, string>;
}
