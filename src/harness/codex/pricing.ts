/**
 * Codex reports tokens, not money, so the cost is tokens × a price table: US dollars per million
 * tokens, keyed by model name prefix (the longest matching prefix wins). Published API prices at
 * the time of writing; a plan overrides them for its model with env DAEDALUS_PRICE_PER_MTOK =
 * "input,output[,cached_input]" (e.g. "1.25,10,0.125"), and a model not in the table is priced
 * as `default` — so the report always has a figure, marked as an estimate by the harness.
 */

export interface Price {
  input: number;
  cachedInput: number;
  output: number;
}

export const PRICES: Record<string, Price> = {
  default: { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  o3: { input: 2, cachedInput: 0.5, output: 8 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
  'codex-mini': { input: 1.5, cachedInput: 0.375, output: 6 },
};

export interface PriceChoice {
  price: Price;
  /** Which entry (or `env`) priced it. */
  source: string;
}

export function priceFor(model: string | undefined, env: Record<string, string> = {}): PriceChoice {
  const override = env.DAEDALUS_PRICE_PER_MTOK?.split(',').map((x) => Number(x.trim()));
  if (override && override.length >= 2 && override.every((n) => Number.isFinite(n) && n >= 0)) {
    return { price: { input: override[0]!, output: override[1]!, cachedInput: override[2] ?? override[0]! }, source: 'env' };
  }
  const key = model
    ? Object.keys(PRICES)
        .filter((k) => k !== 'default' && model.startsWith(k))
        .sort((a, b) => b.length - a.length)[0]
    : undefined;
  return key ? { price: PRICES[key]!, source: key } : { price: PRICES.default!, source: 'default' };
}

/** OpenAI counts cached input inside input_tokens; it is billed at its own rate. */
export function costUsd(p: Price, t: { input: number; cachedInput: number; output: number }): number {
  const fresh = Math.max(0, t.input - t.cachedInput);
  return (fresh * p.input + t.cachedInput * p.cachedInput + t.output * p.output) / 1_000_000;
}
