import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string, home: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, DAEDALUS_HOME: home, DAEDALUS_DEBUG: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** Each bad plan, and what its one error line must say (file:line: field: …). */
const BAD: Record<string, { yaml: string; error: RegExp }> = {
  cycle: {
    yaml: 'plan: cyc\npackages:\n  - id: a\n    description: x\n    depends_on: [b]\n  - id: b\n    description: y\n    depends_on: [a]\n',
    error: /^daedalus: cycle\.yaml:\d+: depends_on: dependency cycle (a → b → a|b → a → b)$/m,
  },
  unknown: {
    yaml: 'plan: unk\npackages:\n  - id: a\n    description: x\n    depends_on: [nope]\n',
    error: /^daedalus: unknown\.yaml:5: depends_on: unknown package "nope"$/m,
  },
  duplicate: {
    yaml: 'plan: dup\npackages:\n  - id: a\n    description: x\n  - id: a\n    description: y\n',
    error: /^daedalus: duplicate\.yaml:5: id: duplicate package id "a" \(first defined at duplicate\.yaml:3\)$/m,
  },
  duration: {
    yaml: 'plan: dur\npackages:\n  - id: a\n    description: x\n    timeout: 5 parsecs\n',
    error: /^daedalus: duration\.yaml:5: timeout: "5 parsecs" is not a duration$/m,
  },
  harness: {
    yaml: 'plan: h\npackages:\n  - id: a\n    description: x\n    harness: gpt9\n',
    error: /^daedalus: harness\.yaml:5: harness: unknown harness "gpt9"$/m,
  },
  'not-yaml': {
    yaml: 'plan: [unclosed\n  - : :\n',
    error: /not-yaml\.yaml:1: not valid YAML/,
  },
  empty: {
    yaml: '',
    error: /^daedalus: empty\.yaml:1: file is empty$/m,
  },
};

describe('bad plans through the CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'daedalus-bad-plans-'));
    for (const [name, { yaml }] of Object.entries(BAD)) await writeFile(join(dir, `${name}.yaml`), yaml);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  for (const command of [['plan', 'check'], ['run']]) {
    it(`${command.join(' ')} refuses each with exit 2 and one clear line, no stack trace`, async () => {
      const home = join(dir, `home-${command.join('-')}`);
      const bus = `sqlite:${join(dir, `bus-${command.join('-')}.db`)}`;
      const names = Object.keys(BAD);
      const ran = await Promise.all(names.map((n) => cli([...command, `${n}.yaml`, '--bus', bus], dir, home)));
      names.forEach((name, i) => {
        const r = ran[i]!;
        const why = `${command.join(' ')} ${name}.yaml:\n${r.stderr}`;
        expect(r.code, why).toBe(2);
        expect(r.stderr, why).toMatch(BAD[name]!.error);
        expect(r.stderr, why).not.toContain('    at ');
        expect(r.stderr, why).not.toContain('internal error');
        expect(r.stdout, why).toBe('');
      });
      // A plan that does not validate leaves nothing behind: no bus, no home.
      expect(existsSync(bus.slice('sqlite:'.length))).toBe(false);
      expect(existsSync(home)).toBe(false);
    });
  }
});
