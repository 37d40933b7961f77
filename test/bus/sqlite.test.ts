import { describe } from 'vitest';
import { sqliteBackend } from '../helpers/bus-harness.js';
import { runConformance } from './conformance.js';

describe('SQLite store', () => {
  runConformance(sqliteBackend());
});
