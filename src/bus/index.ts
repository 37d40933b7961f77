export * from './types.js';
export type {
  AnnotationStore,
  ApprovalStore,
  EventStore,
  HistoryStore,
  InstanceStore,
  KvStore,
  LearningStore,
  LeaseStore,
  LockStore,
  MessageStore,
  RunStore,
  PauseStore,
  Store,
  StoreOptions,
  SweepResult,
  TaskStore,
  WaitOptions,
  WaitResult,
} from './store.js';
export { openStore, type OpenOptions } from './open.js';
export { resolveBusAddress, formatAddress, redact, type BusAddress } from './address.js';
export { normaliseLockPath } from './paths.js';
export { resolveScope } from './scope.js';
export { taskPages } from './task-pages.js';
export { BUS_RETRY_ENV } from './sql/outage.js';
