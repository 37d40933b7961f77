/**
 * The YAML a plan validator needs, whichever parser read it: mappings, lists and scalars with the
 * line each starts on. Scalars carry the value under YAML 1.2's core schema and the text as written.
 */
export type YamlNode = YamlMapping | YamlList | YamlScalar;

export interface YamlMapping {
  kind: 'mapping';
  /** 1-based; undefined when the parser gave no position (an empty node). */
  line: number | undefined;
  pairs: { key: string; keyLine: number | undefined; value: YamlNode | null }[];
}

export interface YamlList {
  kind: 'list';
  line: number | undefined;
  items: (YamlNode | null)[];
}

export interface YamlScalar {
  kind: 'scalar';
  line: number | undefined;
  value: string | number | boolean | null;
  /** The text as written (unquoted), so `1.10` can stay `1.10` where a string was meant. */
  source: string;
}

/** Offsets to 1-based lines by binary search over the line starts. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/**
 * A plain scalar's value under the YAML 1.2 core schema, rule for rule as the `yaml` package
 * resolves it: null, booleans, decimal / 0o octal / 0x hex integers, floats, ±.inf and .nan.
 */
export function resolvePlain(text: string): string | number | boolean | null {
  // Most plan scalars are words: anything starting with a letter other than n, N, t, T, f, F is a string.
  const c = text.charCodeAt(0) | 0x20;
  if (c >= 0x61 && c <= 0x7a && c !== 0x6e && c !== 0x74 && c !== 0x66) return text;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(text)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(text)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(text)) return false;
  if (/^0o[0-7]+$/.test(text)) return parseInt(text.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(text)) return parseInt(text, 10);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(text)) return text.slice(-3).toLowerCase() === 'nan' ? NaN : text[0] === '-' ? -Infinity : Infinity;
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(text)) return parseFloat(text);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(text)) return parseFloat(text);
  return text;
}
