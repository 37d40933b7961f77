/**
 * The agent slots one executor process has (`daedalus worker --agents N`), shared by every run it
 * supervises at once: each run's own strategy and gate decide how many of its tasks may run, and
 * the pool caps what all of them run together.
 */
export class AgentPool {
  private used = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly size: number) {}

  get free(): number {
    return Math.max(0, this.size - this.used);
  }

  take(): void {
    this.used++;
  }

  /** A slot came free: every run waiting for one looks again. */
  give(): void {
    this.used = Math.max(0, this.used - 1);
    for (const wake of this.waiters) wake();
  }

  onFree(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }
}
