import type { HarnessEvent } from './types.js';

/** More than any agent says before its supervisor listens; past it the oldest are dropped. */
const BACKLOG_LIMIT = 10_000;

export interface EventHub {
  emit(e: HarnessEvent): void;
  onEvent(listener: (e: HarnessEvent) => void): void;
}

/**
 * Hands an agent's events to its listeners, from its first event on. The supervisor subscribes only
 * after it has fenced the task on the bus (an await), and the spawn helper delivers an agent's first
 * output in the same read as its pid: events sent before anyone listened were lost, and with them the
 * usage, errors and last words of a quick agent. Until the first listener subscribes, events wait;
 * they are handed over at the end of that turn, so every listener subscribed in it gets them all.
 */
export function eventHub(): EventHub {
  const listeners: ((e: HarnessEvent) => void)[] = [];
  let backlog: HarnessEvent[] | null = [];
  const deliver = (e: HarnessEvent) => {
    for (const l of listeners) l(e);
  };
  const flush = () => {
    const waiting = backlog ?? [];
    backlog = null;
    for (const e of waiting) deliver(e);
  };
  return {
    emit(e) {
      if (!backlog) return deliver(e);
      backlog.push(e);
      if (backlog.length > BACKLOG_LIMIT) backlog.shift();
    },
    onEvent(listener) {
      listeners.push(listener);
      if (listeners.length === 1 && backlog) setImmediate(flush);
    },
  };
}
