import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtFile } from './cli-path.js';
import { spawnGroup } from './spawn.js';
import type { AgentProcess, Harness, LaunchSpec } from './types.js';

/** The scripted agent (script-agent.ts) as a harness: a real process that talks MCP to the bus. */
export const scriptHarness: Harness = {
  name: 'script',
  completesOnExit: false,
  launch(spec: LaunchSpec): Promise<AgentProcess> {
    const packageFile = join(spec.attemptDir, 'package.json');
    writeFileSync(packageFile, JSON.stringify(spec.pkg));
    return spawnGroup(process.execPath, [builtFile('harness/script-agent.js')], {
      cwd: spec.worktree,
      env: {
        ...spec.env,
        DAEDALUS_PACKAGE_FILE: packageFile,
        DAEDALUS_CLI_ARGV: JSON.stringify(spec.daedalus),
      },
      logFile: join(spec.attemptDir, 'output.log'),
    });
  },
};
