import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway PostgreSQL cluster for the test run: initdb into a temp dir, listen on loopback. */
export interface Cluster {
  url: string;
  /** Stops the server (clients get 57P01 and lost connections), keeping its data for start(). */
  pause(mode?: 'fast' | 'immediate'): void;
  /** Starts a paused server again on the same port. */
  start(): void;
  stop(): void;
}

function findBinDir(): string {
  const fromEnv = process.env.DAEDALUS_PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return join(which.stdout.trim(), '..');
  throw new Error('PostgreSQL binaries not found: install postgresql, set DAEDALUS_PG_BIN, or set DAEDALUS_TEST_PG_URL');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ClusterOptions {
  /** A network namespace to run the server in (`ip netns exec`); it listens on `listen` there. */
  netns?: string;
  /** Addresses to listen on, in the namespace; 127.0.0.1 unless given. */
  listen?: string[];
  /** A fixed port (a private namespace has no one to clash with); a free one unless given. */
  port?: number;
}

export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  const bin = findBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'daedalus-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  // initdb refuses to run as root, so the cluster belongs to the postgres user when we are root.
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    const argv = asRoot ? ['runuser', '-u', 'postgres', '--', full, ...args] : [full, ...args];
    if (o.netns) argv.unshift('ip', 'netns', 'exec', o.netns);
    execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe' });
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // initdb trusts only 127.0.0.1 over TCP; the hosts of a namespace test come from their own addresses.
  for (const address of o.netns ? (o.listen ?? []) : []) appendFileSync(join(data, 'pg_hba.conf'), `host all all ${address.replace(/\.\d+$/, '.0')}/24 trust\n`);
  const port = o.port ?? (await freePort());
  const opts = [
    `-k ${dir}`,
    `-p ${port}`,
    `-c listen_addresses=${(o.listen ?? ['127.0.0.1']).join(',')}`,
    '-c max_connections=300',
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c shared_buffers=128MB',
  ].join(' ');
  const start = () => run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', 'start']);
  start();
  return {
    // In a namespace the server is reached from here through its Unix socket, like a local admin would.
    url: o.netns ? `postgres://postgres@localhost:${port}/postgres?host=${dir}` : `postgres://postgres@127.0.0.1:${port}/postgres`,
    pause(mode = 'fast') {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
    },
    start,
    stop() {
      try {
        // A paused server is stopped already; its files still go.
        if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
