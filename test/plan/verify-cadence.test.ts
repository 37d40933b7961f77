import { describe, expect, it } from 'vitest';
import { planShow } from '../../src/schedule/index.js';
import { checkText, okPackage, planError, tempFiles } from './helpers.js';

const withCadence = (after: string): string => `plan: p\ndefaults:\n  verify: ["true"]\n  verify_after: ${after}\npackages:\n${okPackage('a')}${okPackage('b')}`;

describe('verify_after', () => {
  it('accepts batch as well as merge', async () => {
    expect((await checkText(withCadence('batch'))).defaults.verifyAfter).toBe('batch');
    expect((await checkText(withCadence('merge'))).defaults.verifyAfter).toBe('merge');
  });

  it('refuses an unknown cadence with a message naming the field and the choices', async () => {
    const e = await planError(withCadence('nightly'));
    expect(e.message).toBe('plan.yaml:4: defaults.verify_after: "nightly" is not one of merge, batch');
  });

  it('plan show says verify runs after each batch of merges', async () => {
    const cwd = await tempFiles({ 'p.yaml': withCadence('batch') });
    const { report, text } = await planShow({ file: 'p.yaml', cwd });
    expect(report.verify).toMatchObject({ after: 'batch', runs: 2, commands: ['true'] });
    expect(text).toContain('true after each batch of merges: 2 run(s) at most while batches pass');
  });
});
