import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { openStore, resolveBusAddress, resolveScope } from '../../bus/index.js';
import { daedalusHome, DaedalusError, keepHeapLean, processAlive, processOutput, useSpawnHelper, type Output } from '../../common/index.js';
import { startDetachedWorker } from '../../harness/index.js';
import { liveExecutors } from '../../records/index.js';
import { runWorker, type WorkerOptions } from '../../run/index.js';

export interface WorkerCommandOptions extends Omit<WorkerOptions, 'onNote' | 'signal'> {
  detach?: boolean;
  stop?: boolean;
  output?: Output;
  signal?: AbortSignal;
}

/** The worker's own options as command-line arguments, for the detached copy of it. */
function workerArgs(o: WorkerCommandOptions): string[] {
  return [
    ...(o.agents !== undefined ? ['--agents', String(o.agents)] : []),
    ...(o.harness ? ['--harness', o.harness] : []),
    ...(o.types?.length ? ['--types', o.types.join(',')] : []),
    ...(o.run ? ['--run', o.run] : []),
    ...(o.mode ? ['--mode', o.mode] : []),
    ...(o.repo ? ['--repo', resolve(o.repo)] : []),
    ...(o.singleton ? ['--singleton'] : []),
    ...(o.remote ? ['--remote', o.remote] : []),
    ...(o.scope ? ['--scope', o.scope] : []),
    ...(o.leaseMs !== undefined ? ['--lease-ms', String(o.leaseMs)] : []),
  ];
}

/**
 * `daedalus worker`: executes every ready task of the scope until stopped. SIGINT/SIGTERM stop it
 * gracefully: its agents are stopped and their tasks go back to ready for the next executor.
 */
export async function workerCommand(o: WorkerCommandOptions): Promise<number> {
  const out = o.output ?? processOutput;
  if (o.stop) return stopWorkers(o, out);
  if (o.detach) {
    const w = startDetachedWorker({ home: o.home ?? daedalusHome(), cwd: resolve(o.repo ?? process.cwd()), bus: o.bus, args: workerArgs(o) });
    out.out(`worker started in the background: pid ${w.pid}, log ${w.log}`);
    out.out('stop it with: daedalus worker --stop');
    return 0;
  }
  const ac = new AbortController();
  const stop = (signal: string) => {
    if (ac.signal.aborted) process.exit(130);
    out.err(`daedalus worker: ${signal}: stopping agents, their tasks go back to ready (again to quit now)`);
    ac.abort();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  if (!o.signal) {
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    useSpawnHelper();
    keepHeapLean();
  }
  o.signal?.addEventListener('abort', () => ac.abort());
  try {
    const scope = o.scope ?? (process.env.DAEDALUS_SCOPE?.trim() || undefined);
    const r = await runWorker({ ...o, scope, signal: ac.signal, onNote: (line) => out.err(`daedalus worker: ${line}`) });
    out.out(r.exit === 'another-executor' ? 'another executor serves this repository already' : `worker stopped after ${r.runs.length} run(s)`);
    return 0;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** `daedalus worker --stop`: ends the scope's executors on this host and waits until they are gone. */
async function stopWorkers(o: WorkerCommandOptions, out: Output): Promise<number> {
  const address = resolveBusAddress(o.bus);
  // No bus yet: nothing ever ran here, so no worker either.
  if (address.kind === 'sqlite' && !existsSync(address.path)) {
    out.out('no worker is running for this repository');
    return 0;
  }
  const store = await openStore(address, { mustExist: true });
  try {
    const scope = resolveScope(resolve(o.repo ?? process.cwd()));
    const live = await liveExecutors(store, scope);
    if (live.length === 0) {
      out.out('no worker is running for this repository');
      return 0;
    }
    const here = live.filter((i) => i.host === hostname() && i.pid);
    for (const i of live.filter((x) => !here.includes(x))) out.out(`worker ${i.id} runs on ${i.host ?? 'another host'}: stop it there`);
    for (const i of here) {
      try {
        process.kill(i.pid!, 'SIGTERM');
        out.out(`stopping worker ${i.id} (pid ${i.pid})`);
      } catch {
        // Its process is gone without deregistering: say so, and leave it for the sweep.
        await store.deregisterInstance(i.id, 'process gone');
        out.out(`worker ${i.id} (pid ${i.pid}) was not running`);
      }
    }
    // Graceful: agents get SIGTERM and their tasks are given back before the worker exits. A
    // worker deregisters before it has closed its bus and ended its processes: "stopped" waits
    // for the process itself to be gone too.
    for (let waited = 0; ; waited += 200) {
      const registered = await liveExecutors(store, scope);
      const left = here.filter((h) => registered.some((i) => i.id === h.id) || processAlive(h.pid!));
      if (left.length === 0) break;
      if (waited > 120_000) throw new DaedalusError('TIMEOUT', `worker(s) ${left.map((i) => i.pid).join(', ')} did not stop within 2 minutes`, 'kill them with SIGKILL; their agents\' guards end the agents');
      await new Promise((r) => setTimeout(r, 200));
    }
    out.out('stopped');
    return 0;
  } finally {
    await store.close();
  }
}
