/** Checks across packages: unique ids, known dependencies, no cycles. */
import { DaedalusError } from '../common/index.js';
import { findCycle } from './dag.js';
import type { IssueList } from './issues.js';
import { suggest } from './issues.js';
import type { Package } from './types.js';

export function checkGraph(packages: readonly Package[], issues: IssueList): void {
  const byId = new Map<string, Package>();
  const byFolded = new Map<string, Package>();
  for (const p of packages) {
    const first = byId.get(p.id);
    // Branch and folder names clash on case-insensitive file systems, so `Api` and `api` collide too.
    const folded = byFolded.get(p.id.toLowerCase());
    const clash = first ?? folded;
    if (clash) {
      const same = clash.id === p.id;
      issues.add(
        p.source.file,
        p.source.fields.id ?? p.source.line,
        'id',
        `${same ? 'duplicate package id' : 'package id'} "${p.id}"${same ? '' : ` differs only in case from "${clash.id}"`} (first defined at ${clash.source.file}:${clash.source.fields.id ?? clash.source.line})`,
        same ? 'package ids must be unique: rename one of them' : 'ids name git branches, which clash on case-insensitive file systems: rename one',
      );
      continue;
    }
    byId.set(p.id, p);
    byFolded.set(p.id.toLowerCase(), p);
  }
  const ids = [...byId.keys()];
  for (const p of packages) {
    p.dependsOn.forEach((d, i) => {
      if (byId.has(d)) return;
      const line = p.source.fields[`depends_on[${i}]`] ?? p.source.fields.depends_on ?? p.source.line;
      issues.add(p.source.file, line, 'depends_on', `unknown package "${d}"`, suggest(d, ids, 'known packages'));
    });
  }
}

/** Run after `checkGraph` passes: with every dependency known, a cycle is the only thing left. */
export function assertNoCycle(packages: readonly Package[]): void {
  const cycle = findCycle(packages);
  if (!cycle) return;
  const first = packages.find((p) => p.id === cycle[0]);
  const where = first ? `${first.source.file}:${first.source.fields[`depends_on[${first.dependsOn.indexOf(cycle[1] ?? '')}]`] ?? first.source.line}: depends_on: ` : '';
  throw new DaedalusError(
    'PLAN_CYCLE',
    `${where}dependency cycle ${cycle.join(' → ')}`,
    'a plan must be acyclic ("a → b" reads "a depends on b"): remove one of these dependencies',
    { cycle },
  );
}
