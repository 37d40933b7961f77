import { DaedalusError } from '../../common/index.js';

/**
 * What a SQLite error says about the bus file itself, as opposed to a statement of ours: a full
 * disk, a file that is not (or no longer) a database, one we may not write, a failing disk. Each
 * becomes BUS_UNAVAILABLE (exit 3) naming the file, what is wrong and what to do.
 */
export type SqliteFault = 'full' | 'corrupt' | 'not-a-database' | 'read-only' | 'io' | 'cannot-open';

export function sqliteFaultOf(e: unknown): SqliteFault | null {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  if (code === 'SQLITE_FULL') return 'full';
  if (code.startsWith('SQLITE_CORRUPT')) return 'corrupt';
  if (code === 'SQLITE_NOTADB') return 'not-a-database';
  if (code.startsWith('SQLITE_READONLY')) return 'read-only';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'cannot-open';
  // ENOSPC while SQLite grows its WAL or temporary files can come back as an I/O error too.
  if (code.startsWith('SQLITE_IOERR')) return 'io';
  return null;
}

export function sqliteFaultError(fault: SqliteFault, path: string, cause: unknown, waitedMs?: number): DaedalusError {
  const why = cause instanceof Error ? cause.message : String(cause);
  const waited = waitedMs !== undefined ? ` (waited ${Math.round(waitedMs / 1000)} s for space)` : '';
  const resume = 'a run that stopped continues with daedalus run --resume RUN';
  const [what, todo] = (
    {
      full: [`the disk under the SQLite bus ${path} is full${waited}`, `free space on that filesystem; ${resume}`],
      io: [`reading or writing the SQLite bus ${path} failed (${why}): the disk may be full or failing`, `check free space and the disk's health; ${resume}`],
      corrupt: [
        `the SQLite bus ${path} is damaged (${why})`,
        'move the file (and its -wal and -shm files) aside to start a new, empty bus, or point --bus / DAEDALUS_BUS at an intact copy',
      ],
      'not-a-database': [
        `${path} is not a SQLite database (${why}), so it cannot be the bus: it may be truncated, or another file`,
        'point --bus / DAEDALUS_BUS at the bus file, or move this file aside to start a new, empty bus',
      ],
      'read-only': [
        `the SQLite bus ${path} cannot be written (${why})`,
        'make the file, its folder and its -wal and -shm files writable by this user, or use a bus you may write',
      ],
      'cannot-open': [`the SQLite bus ${path} cannot be opened (${why})`, 'check that its folder exists and that this user may read and write it'],
    } as const
  )[fault];
  return new DaedalusError('BUS_UNAVAILABLE', what, todo, { fault, file: path });
}
