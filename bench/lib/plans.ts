/**
 * Large plan files for the plans benchmark and the large-plan test: a chain, a dense DAG (each
 * package depending on up to 8 of the 64 before it) and a flat plan, written as YAML the way people
 * write plans. Seeded, so every run reads the same files.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prng } from './dags.js';

export type PlanShape = 'chain' | 'dense' | 'flat';
export const PLAN_SHAPES: readonly PlanShape[] = ['chain', 'dense', 'flat'];

export function planYaml(shape: PlanShape, n: number, seed = 15): string {
  const rand = prng(seed);
  const priorities = ['critical', 'high', 'medium', 'medium', 'medium', 'low'];
  const lines = [`plan: ${shape}-${n}`, 'defaults: { harness: shell, max_agents: 8 }', 'packages:'];
  for (let i = 0; i < n; i++) {
    let deps: number[] = [];
    if (shape === 'chain' && i > 0) deps = [i - 1];
    if (shape === 'dense' && i > 0) {
      const want = Math.min(i, 1 + Math.floor(rand() * 8));
      const set = new Set<number>();
      while (set.size < want) set.add(i - 1 - Math.floor(rand() * Math.min(i, 64)));
      deps = [...set];
    }
    lines.push(`  - id: p${i}`, `    description: "step ${i} of the ${shape} plan"`, '    run: "true"', `    estimate: ${1 + Math.floor(rand() * 90)}m`);
    if (rand() < 0.1) lines.push(`    priority: ${priorities[Math.floor(rand() * priorities.length)]}`);
    if (deps.length > 0) lines.push(`    depends_on: [${deps.map((d) => `p${d}`).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

export async function writePlan(dir: string, shape: PlanShape, n: number): Promise<string> {
  const file = join(dir, `${shape}-${n}.yaml`);
  await writeFile(file, planYaml(shape, n));
  return file;
}
