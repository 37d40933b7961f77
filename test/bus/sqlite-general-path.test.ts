import { describe } from 'vitest';
import { sqliteBackend } from '../helpers/bus-harness.js';
import { runConformance } from './conformance.js';

/**
 * Claim and complete normally take the backend's fast path; the general path still serves lapsed
 * leases and explains refusals, and the fast path must behave exactly like it. So the contract runs
 * once more with every operation on the general path.
 */
describe('SQLite store, general path only', () => {
  runConformance({ ...sqliteBackend(), options: { fastPath: false } });
});
