import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A package's results file as its run left it in the checkout (`.daedalus/results/RUN/ID.json`). */
export function resultsFile(run: { repo: string; runId: string }, pkgId: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(run.repo, '.daedalus', 'results', run.runId, `${pkgId}.json`), 'utf8')) as Record<string, unknown>;
}

/** A package's result, from its results file. */
export const resultOf = (run: { repo: string; runId: string }, pkgId: string): unknown => resultsFile(run, pkgId).result;
