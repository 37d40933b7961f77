import type { BusBackend } from '../helpers/bus-harness.js';
import { annotationTests } from './conformance/annotations.js';
import { attemptProcessTests } from './conformance/attempt-process.js';
import { approvalTests } from './conformance/approvals.js';
import { eventTests } from './conformance/events.js';
import { handleTests } from './conformance/handle.js';
import { instanceTests } from './conformance/instances.js';
import { kvTests } from './conformance/kv.js';
import { learningTests } from './conformance/learnings.js';
import { lockTests } from './conformance/locks.js';
import { messageTests } from './conformance/messages.js';
import { runSupportTests } from './conformance/run-support.js';
import { runTests } from './conformance/runs.js';
import { schemaTests } from './conformance/schema.js';
import { scopeTests } from './conformance/scopes.js';
import { steeringTests } from './conformance/steering.js';
import { taskClaimTests } from './conformance/tasks-claim.js';
import { taskCreateTests } from './conformance/tasks-create.js';
import { taskLifecycleTests } from './conformance/tasks-lifecycle.js';
import { wakeTests } from './conformance/wake.js';

/**
 * The Store contract, once for every backend: each test gets a fresh bus from the backend, a fake
 * clock and its own scope, so the suites prove behaviour rather than the leftovers of another test.
 */
export function runConformance(backend: BusBackend): void {
  instanceTests(backend);
  taskCreateTests(backend);
  taskClaimTests(backend);
  taskLifecycleTests(backend);
  runSupportTests(backend);
  attemptProcessTests(backend);
  runTests(backend);
  approvalTests(backend);
  messageTests(backend);
  lockTests(backend);
  learningTests(backend);
  kvTests(backend);
  annotationTests(backend);
  eventTests(backend);
  schemaTests(backend);
  scopeTests(backend);
  steeringTests(backend);
  handleTests(backend);
  wakeTests(backend);
}
