import { describe } from 'vitest';
import { sqliteBackend } from '../helpers/bus-harness.js';
import { processTests } from './processes.js';

describe('SQLite bus', () => {
  processTests(sqliteBackend());
});
