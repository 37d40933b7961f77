import { describe } from 'vitest';
import { postgresBackend } from '../helpers/bus-harness.js';
import { runConformance } from './conformance.js';

describe('PostgreSQL store', () => {
  runConformance(postgresBackend());
});
