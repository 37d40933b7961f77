import { DaedalusError } from '../common/index.js';
import { spawnGroup } from './spawn.js';
import type { AgentProcess, Harness, LaunchSpec } from './types.js';
import { join } from 'node:path';

/** Runs the package's `run:` command in its worktree; exit 0 means done. */
export const shellHarness: Harness = {
  name: 'shell',
  completesOnExit: true,
  launch(spec: LaunchSpec): Promise<AgentProcess> {
    if (!spec.pkg.run) {
      throw new DaedalusError('PLAN_INVALID', `package ${spec.pkg.id} uses harness shell but has no run: command`, 'add run: "your command"');
    }
    return spawnGroup('/bin/sh', ['-c', spec.pkg.run], {
      cwd: spec.worktree,
      env: spec.env,
      logFile: join(spec.attemptDir, 'output.log'),
    });
  },
};
