import { CommanderError } from 'commander';
import { dropOwnArenaSetting } from '../common/index.js';
import { buildProgram } from './program.js';
import { EXIT, processOutput, reportError } from './output.js';

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version end with a CommanderError too; usage mistakes are exit 2.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(e, processOutput);
  }
}

/** Parses the arguments and runs the command; sets the exit code. */
export function runCli(argv: string[]): void {
  // Before any command can start a child: agents and git get the user's malloc settings.
  dropOwnArenaSetting();
  // A promise nobody awaited that fails (a bus error in a background timer, say) would otherwise
  // end the process with Node's stack trace and exit 1: it gets the one-line report and its code.
  process.on('unhandledRejection', (e: unknown) => {
    process.exit(reportError(e, processOutput));
  });
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportError(e, processOutput);
    },
  );
}
