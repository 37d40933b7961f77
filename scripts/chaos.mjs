// `npm run chaos -- --tasks 500 --kills 20 [--seed N] [--backend sqlite|postgres] [--faults a,b]`: the
// chaos suite (test/chaos) at a size of your choosing, on both backends unless one is named, dealing
// every kind of fault unless some are named (supervisor-in-git, agent-kill, …). Each backend
// prints its seed and its figures: tasks, kills, starts, duplicates, lost, stuck.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const env = { ...process.env };
const names = { '--tasks': 'CHAOS_TASKS', '--kills': 'CHAOS_KILLS', '--seed': 'CHAOS_SEED' };
let filter = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = args[i + 1];
  if (a in names) {
    if (!/^\d+$/.test(value ?? '')) {
      console.error(`chaos: ${a} needs a whole number, e.g. ${a} 20`);
      process.exit(2);
    }
    env[names[a]] = value;
    i++;
  } else if (a === '--faults') {
    if (!/^[a-z-]+(,[a-z-]+)*$/.test(value ?? '')) {
      console.error('chaos: --faults needs kinds of fault separated by commas, e.g. --faults supervisor-in-git,agent-kill');
      process.exit(2);
    }
    env.CHAOS_FAULTS = value;
    i++;
  } else if (a === '--backend' && (value === 'sqlite' || value === 'postgres')) {
    filter = ['-t', value === 'sqlite' ? 'SQLite' : 'PostgreSQL'];
    i++;
  } else {
    console.error(`chaos: unknown argument ${a}; use --tasks N --kills N [--seed N] [--backend sqlite|postgres] [--faults a,b]`);
    process.exit(2);
  }
}
const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/chaos', ...filter], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
