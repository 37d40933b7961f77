import { openStore, resolveBusAddress, resolveScope } from '../../bus/index.js';
import { processOutput, type Output } from '../../common/index.js';
import { attachControlPlane, ensureControlPlane, type ChiefHarness } from '../../control/index.js';

export interface ControlPlaneCommandOptions {
  bus?: string;
  /** `daedalus new`: end the control plane of this repository if there is one, and build a new one. */
  fresh?: boolean;
  detach?: boolean;
  harness?: string;
  chiefWidth?: string;
  gitHeight?: string;
  cwd?: string;
  output?: Output;
}

/** The address panes are given: the full one (a redacted postgres URL would not connect). */
export function busForPanes(explicit?: string): string {
  const a = resolveBusAddress(explicit);
  return a.kind === 'sqlite' ? `sqlite:${a.path}` : a.url;
}

/**
 * `daedalus` (attach, or create then attach) and `daedalus new`. Without a terminal (scripts, CI)
 * or with --detach it builds the session and prints how to attach.
 */
export async function controlPlaneCommand(o: ControlPlaneCommandOptions): Promise<void> {
  const out = o.output ?? processOutput;
  const scope = resolveScope(o.cwd ?? process.cwd());
  const bus = busForPanes(o.bus);
  // The bus is created here if new, so the panes' commands find it.
  await (await openStore(bus)).close();
  const cp = await ensureControlPlane(
    {
      scope,
      bus,
      harness: (o.harness ?? 'claude') as ChiefHarness,
      chiefCommand: process.env.DAEDALUS_CHIEF_COMMAND?.trim() || undefined,
      chiefWidth: o.chiefWidth,
      gitHeight: o.gitHeight,
    },
    o.fresh,
  );
  const detach = o.detach || !process.stdin.isTTY || !process.stdout.isTTY;
  if (detach) {
    out.out(`${cp.created ? 'control plane started' : 'control plane already running'}: ${cp.attach}`);
    return;
  }
  process.exitCode = await attachControlPlane(cp.socket);
}
