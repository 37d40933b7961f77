/**
 * Runtime isolation per agent: parallel agents collide on ports, databases and caches. Each
 * attempt gets a slot (0..max_agents-1, the lowest free one, given back when the attempt ends) and
 * a block of ports of its own; a plan's `env:` can build on both with `${DAEDALUS_SLOT}` and
 * `${DAEDALUS_PORT_BASE}` (`PORT: "${DAEDALUS_PORT_BASE}"`, `DATABASE_URL: "postgres:///app_${DAEDALUS_SLOT}"`).
 */

/** Ports per slot, and where slot 0's block starts: above the usual dev-server ports, below the ephemeral range. */
export const PORTS_PER_SLOT = 100;
const DEFAULT_PORT_BASE = 20_000;

export class Slots {
  private readonly used = new Set<number>();

  take(): number {
    let n = 0;
    while (this.used.has(n)) n++;
    this.used.add(n);
    return n;
  }

  give(n: number): void {
    this.used.delete(n);
  }
}

/** DAEDALUS_SLOT_PORT_START in the supervisor's environment moves every block (two runs on one machine). */
export function slotEnv(slot: number, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const start = Number(env.DAEDALUS_SLOT_PORT_START);
  const base = (Number.isInteger(start) && start > 0 ? start : DEFAULT_PORT_BASE) + slot * PORTS_PER_SLOT;
  return { DAEDALUS_SLOT: String(slot), DAEDALUS_PORT_BASE: String(base) };
}

/**
 * `${NAME}` in the plan's env values, replaced by the attempt's own variables (a name that is not
 * among them stays as written, so a mistake shows instead of vanishing). `$${…}` is a literal `${…}`.
 */
export function expandEnv(env: Readonly<Record<string, string>>, vars: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    out[k] = v.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => (whole.startsWith('$$') ? whole.slice(1) : (vars[name] ?? whole)));
  }
  return out;
}
