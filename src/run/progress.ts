import { taskPages, type BusEvent, type Store, type TaskState } from '../bus/index.js';
import type { Output } from '../common/index.js';
import type { GateDecision } from '../resources/index.js';

export type ProgressMode = 'tty' | 'plain' | 'json';

interface Running {
  since: number;
  attempt: number;
  text: string;
}

const time = (at: number) => new Date(at).toISOString().slice(11, 19);
const secs = (ms: number) => `${Math.round(ms / 1000)}s`;

/**
 * Shows a run as it happens, from the bus's event log alone (the same events the dashboard and
 * wait_for_activity read): a live view on a terminal, log lines otherwise, NDJSON with --json.
 */
export class Progress {
  private cursor = 0;
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private readonly running = new Map<string, Running>();
  private readonly states = new Map<string, TaskState>();
  private zone = '';
  private lastGateKind = '';
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly mode: ProgressMode,
    private readonly out: Output,
    private readonly store: Store,
    private readonly scope: string,
    private readonly runId: string,
  ) {}

  async start(): Promise<void> {
    this.cursor = Math.max(0, (await this.store.lastEventId(this.scope)) - 1);
    for await (const page of taskPages(this.store, this.scope, { runId: this.runId })) for (const t of page) this.states.set(t.key ?? t.id, t.state);
    this.loop = this.follow();
    if (this.mode === 'tty') this.timer = setInterval(() => this.draw(), 1000);
  }

  /** A gate decision from the supervisor (the zone line of the live view). */
  decision(d: GateDecision): void {
    this.zone = `${d.zone} (cpu ${Math.round(d.cpuPercent)}%, mem ${Math.round(d.memoryPercent)}%)`;
  }

  note(line: string): void {
    if (this.mode === 'json') this.out.out(JSON.stringify({ type: 'note', at: Date.now(), text: line }));
    else this.print(`${time(Date.now())}  ${line}`);
  }

  async stop(): Promise<void> {
    // One last read so the final events are shown before the report.
    await new Promise((r) => setTimeout(r, 50));
    this.abort.abort();
    await this.loop;
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }

  private async follow(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const r = await this.store
        .waitForEvents(this.scope, { after: this.cursor, runId: this.runId, timeoutMs: 5000, signal: this.abort.signal })
        .catch(() => ({ events: [] as BusEvent[], cursor: this.cursor }));
      this.cursor = r.cursor;
      this.handleAll(r.events);
      if (this.mode === 'tty' && r.events.length > 0) this.draw();
    }
    // Drain what is left after the abort.
    const rest = await this.store.readEvents(this.scope, { after: this.cursor, runId: this.runId, limit: 10_000 }).catch(() => []);
    this.handleAll(rest);
  }

  /** A batch of events; as JSON lines, one write for all of them: stdout is a synchronous write per call on a pipe. */
  private handleAll(events: readonly BusEvent[]): void {
    if (this.mode === 'json') {
      if (events.length > 0) this.out.out(events.map((e) => JSON.stringify(e)).join('\n'));
      return;
    }
    for (const e of events) this.handle(e);
  }

  private key(e: BusEvent): string {
    const id = e.taskId ?? '';
    return id.startsWith(`${this.runId}:`) ? id.slice(this.runId.length + 1) : id;
  }

  private handle(e: BusEvent): void {
    const k = this.key(e);
    const line = (text: string) => this.print(`${time(e.at)}  ${k.padEnd(24)} ${text}`);
    switch (e.type) {
      case 'task.running': {
        const attempt = e.data.attempt;
        this.running.set(k, { since: e.at, attempt, text: '' });
        this.states.set(k, 'running');
        line(attempt > 1 ? `started (attempt ${attempt})` : 'started');
        break;
      }
      case 'task.progress': {
        const r = this.running.get(k);
        if (r) r.text = e.data.text ?? '';
        if (this.mode === 'plain') line(`… ${e.data.text ?? ''}`);
        break;
      }
      case 'task.integrating':
        this.states.set(k, 'integrating');
        line('completed; merging');
        break;
      case 'task.done':
        this.running.delete(k);
        this.states.set(k, 'done');
        line('done (merged)');
        break;
      case 'task.retry':
        this.running.delete(k);
        this.states.set(k, 'ready');
        line(`retry as attempt ${e.data.attempt}: ${e.data.reason.split('\n')[0]}`);
        break;
      case 'task.yielded':
        this.running.delete(k);
        this.states.set(k, 'ready');
        line(`stopped: ${e.data.reason}`);
        break;
      case 'task.failed':
        this.running.delete(k);
        this.states.set(k, 'failed');
        line(`FAILED (${e.data.kind ?? 'error'}): ${e.data.error.split('\n')[0]}`);
        break;
      case 'task.cancelled':
        this.running.delete(k);
        this.states.set(k, 'cancelled');
        line(`cancelled: ${[...this.states.keys()].reduce((s, id) => s.replaceAll(`${this.runId}:${id}`, id), e.data.reason ?? '')}`);
        break;
      case 'task.ready':
        this.states.set(k, 'ready');
        break;
      case 'run.decision': {
        // Gate decisions are logged on the bus at every change; people need only zone changes.
        const kind = e.data.kind;
        if (kind.startsWith('gate.')) {
          if (kind === this.lastGateKind) break;
          this.lastGateKind = kind;
        }
        this.print(`${time(e.at)}  ${e.data.reason}`);
        break;
      }
      default:
        break;
    }
  }

  /** A line above the live block (or just a line). */
  private print(text: string): void {
    if (this.mode === 'tty') {
      this.clear();
      this.out.out(text);
      this.draw();
    } else this.out.out(text);
  }

  private clear(): void {
    if (this.mode !== 'tty' || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (this.mode !== 'tty') return;
    this.clear();
    const counts = new Map<TaskState, number>();
    for (const s of this.states.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
    const lines = [...this.running].map(([k, r]) => `  ▸ ${k.padEnd(24)} ${secs(Date.now() - r.since).padStart(5)}  ${r.text.slice(0, 60)}`);
    lines.push(`  ${[...counts].map(([s, n]) => `${s} ${n}`).join(' · ')}${this.zone ? `   zone ${this.zone}` : ''}`);
    this.out.out(lines.join('\n'));
    this.drawn = lines.length;
  }
}
