/**
 * Reads the top-level `id` and `method` of a JSON-RPC message that arrives in pieces, without
 * keeping the pieces: an over-long message is thrown away as it streams in, yet its sender still
 * gets an answer for the right request. Clients put `id` anywhere (the SDK's client writes it last,
 * after megabytes of params), so the scanner follows the whole object's nesting and strings.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Longer top-level keys and values are never `id`, `method` or their values worth keeping. */
const MAX_CAPTURE = 256;

type Wanted = 'id' | 'method';

export interface Envelope {
  /** The request id (string or number) when one was found at the top level. */
  id?: string | number;
  method?: string;
}

export class EnvelopeScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** At depth 1, between `{`/`,` and the key's closing quote: the next string is a key. */
  private expectKey = false;
  /** Bytes of the depth-1 string or scalar being captured, or null when not capturing. */
  private capture: number[] | null = null;
  private overflow = false;
  private captureIsKey = false;
  /** The key whose value comes next (after its colon), when it is one we want. */
  private pendingKey: Wanted | null = null;
  private valueFor: Wanted | null = null;
  readonly found: Envelope = {};

  /** Feeds the next piece of the message (never a newline: the line ends before it). */
  feed(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.capture) this.push(b);
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.endString();
        else if (!this.capture) i = this.skipPlainString(chunk, i);
        continue;
      }
      if (this.capture && !this.captureIsKey) {
        // An unquoted scalar at depth 1 ends at the first delimiter.
        if (b === COMMA || b === CLOSE_BRACE || b <= 0x20) this.endScalar();
        else {
          this.push(b);
          continue;
        }
      }
      this.structural(b);
    }
  }

  private structural(b: number): void {
    if (b === QUOTE) {
      this.inString = true;
      if (this.depth === 1 && (this.expectKey || this.valueFor)) this.startCapture(b, this.expectKey);
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      this.depth++;
      this.valueFor = null;
      this.expectKey = this.depth === 1 && b === OPEN_BRACE;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      this.depth--;
    } else if (this.depth === 1) {
      if (b === COMMA) {
        this.expectKey = true;
        this.valueFor = null;
      } else if (b === COLON) {
        this.valueFor = this.pendingKey;
        this.pendingKey = null;
      } else if (b > 0x20 && this.valueFor) {
        this.startCapture(b, false);
      }
    }
  }

  /** Jumps over the ordinary bytes of a string nobody captures: the bulk of a big message. */
  private skipPlainString(chunk: Uint8Array, i: number): number {
    let j = i + 1;
    while (j < chunk.length && chunk[j] !== QUOTE && chunk[j] !== BACKSLASH) j++;
    return j - 1;
  }

  private startCapture(b: number, isKey: boolean): void {
    this.capture = [b];
    this.overflow = false;
    this.captureIsKey = isKey;
  }

  private push(b: number): void {
    if (this.capture!.length < MAX_CAPTURE) this.capture!.push(b);
    else this.overflow = true;
  }

  /** The captured bytes decoded, or undefined when nothing (or too much) was captured. */
  private takeCapture(quoted: boolean): unknown {
    const bytes = this.capture;
    this.capture = null;
    return bytes && !this.overflow ? decode(bytes, quoted) : undefined;
  }

  private endString(): void {
    this.inString = false;
    if (!this.capture) return;
    const isKey = this.captureIsKey;
    const text = this.takeCapture(true);
    if (isKey) {
      this.expectKey = false;
      this.pendingKey = text === 'id' || text === 'method' ? text : null;
    } else {
      this.take(text);
    }
  }

  private endScalar(): void {
    this.take(this.takeCapture(false));
  }

  private take(value: unknown): void {
    const key = this.valueFor;
    this.valueFor = null;
    if (key === 'id' && (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))) this.found.id = value;
    if (key === 'method' && typeof value === 'string') this.found.method = value;
  }
}

/** A captured JSON string (quotes included) or scalar; undefined when it does not parse. */
function decode(bytes: number[], quoted: boolean): unknown {
  const raw = Buffer.from(bytes).toString('utf8');
  try {
    return JSON.parse(quoted ? raw : raw.trim());
  } catch {
    return undefined;
  }
}
