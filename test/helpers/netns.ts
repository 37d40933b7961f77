import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Several "hosts" on one machine, each in a network namespace of its own, joined to a server
 * namespace by a veth pair. Every link uses addresses from 127.0.0.0/8: the namespaces keep their
 * own `lo` down (so no namespace treats 127/8 as its own) and `route_localnet` lets those addresses
 * travel over the veth. Nothing here is reachable from outside the machine.
 */
export interface HostLink {
  /** The host's namespace. */
  netns: string;
  /** The server's address as this host reaches it. */
  serverAddress: string;
}

export interface Network {
  /** The server's namespace. */
  server: string;
  /** Every address the server has, one per host link. */
  serverAddresses: string[];
  hosts: HostLink[];
  /** argv that runs `argv` inside a namespace, with a hostname of its own when `hostname` is given. */
  exec(netns: string, argv: string[], hostname?: string): string[];
  teardown(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const inNs = (netns: string, ...argv: string[]) => execFileSync('ip', ['netns', 'exec', netns, ...argv], { stdio: 'pipe' });

/** Whether this runner may create namespaces and UTS namespaces (root on Linux with iproute2). */
export function canMakeNetworks(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = `ddprobe${randomBytes(3).toString('hex')}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { stdio: 'pipe' }).status === 0;
  if (!made) return false;
  const uts = spawnSync('ip', ['netns', 'exec', probe, 'unshare', '--uts', 'true'], { stdio: 'pipe' }).status === 0;
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
  return uts;
}

function localnet(netns: string, dev: string): void {
  inNs(netns, 'sysctl', '-qw', 'net.ipv4.conf.all.route_localnet=1', `net.ipv4.conf.${dev}.route_localnet=1`);
}

export function makeNetwork(hostCount: number): Network {
  const tag = randomBytes(3).toString('hex');
  const server = `dd${tag}s`;
  const made: string[] = [];
  const teardown = () => {
    // Deleting a namespace deletes the veth ends in it, and so their peers.
    for (const ns of made.splice(0).reverse()) spawnSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
  };
  try {
    ip('netns', 'add', server);
    made.push(server);
    const hosts: HostLink[] = [];
    for (let i = 1; i <= hostCount; i++) {
      const netns = `dd${tag}h${i}`;
      ip('netns', 'add', netns);
      made.push(netns);
      const [near, far] = [`dd${tag}s${i}`, `dd${tag}h${i}`];
      ip('link', 'add', near, 'netns', server, 'type', 'veth', 'peer', 'name', far, 'netns', netns);
      const serverAddress = `127.77.${i}.1`;
      for (const [ns, dev, addr] of [
        [server, near, serverAddress],
        [netns, far, `127.77.${i}.2`],
      ] as const) {
        localnet(ns, dev);
        inNs(ns, 'ip', 'addr', 'add', `${addr}/30`, 'dev', dev);
        inNs(ns, 'ip', 'link', 'set', dev, 'up');
      }
      hosts.push({ netns, serverAddress });
    }
    return {
      server,
      serverAddresses: hosts.map((h) => h.serverAddress),
      hosts,
      exec: (netns, argv, hostname) =>
        hostname
          ? ['ip', 'netns', 'exec', netns, 'unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', hostname, ...argv]
          : ['ip', 'netns', 'exec', netns, ...argv],
      teardown,
    };
  } catch (e) {
    teardown();
    throw e;
  }
}
