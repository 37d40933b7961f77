import { describe } from 'vitest';
import { postgresBackend } from '../helpers/bus-harness.js';
import { processTests } from './processes.js';

describe('PostgreSQL bus', () => {
  processTests(postgresBackend());
});
