import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentMcpEntry, cliBinary, writePrompt } from '../launch.js';
import { permissionSetting, splitPermissions } from '../../approvals/index.js';
import { EndNotes, startAgent } from '../generic.js';
import type { AgentProcess, Harness, LaunchSpec } from '../types.js';
import { cleanCodexHome, prepareCodexHome } from './home.js';
import { codexCommand } from './native.js';
import { priceFor } from './pricing.js';
import { seedCodexHome } from './template.js';
import { CodexUsage, parseCodexLine } from './stream.js';

const SANDBOXES = ['read-only', 'workspace-write', 'danger-full-access'];
const WRITE_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'Bash']);

/**
 * Codex enforces a sandbox, not per-command rules: `sandbox:MODE` in the permissions picks it;
 * otherwise a package that may not write (its list has none of Edit, Write, Bash) runs read-only
 * and everything else workspace-write — its worktree writable, the rest of the disk and the
 * network not. Finer rules (`Bash(npm test:*)`) only bind Claude Code.
 */
export function sandboxFor(permissions: string[]): string {
  const explicit = permissionSetting(permissions, 'sandbox');
  if (explicit && SANDBOXES.includes(explicit)) return explicit;
  const { allow } = splitPermissions(permissions);
  if (allow.length === 0) return 'workspace-write';
  return allow.some((a) => WRITE_TOOLS.has(a.replace(/\(.*$/s, ''))) ? 'workspace-write' : 'read-only';
}

/** Grace after the turn completed before a lingering codex is stopped (it normally exits at once). */
const LINGER_MS = 5000;

export const codexHarness: Harness = {
  name: 'codex',
  completesOnExit: false,
  async launch(spec: LaunchSpec): Promise<AgentProcess> {
    const prompt = writePrompt(spec, 'bus');
    const command = cliBinary(spec, 'DAEDALUS_CODEX_BIN', 'codex');
    const home = prepareCodexHome(spec.attemptDir, spec.env, await agentMcpEntry(spec), spec.worktree);
    seedCodexHome(home.dir, command, spec.env);
    const model = spec.pkg.model ?? home.model;
    const price = priceFor(model, spec.env);
    const usage = new CodexUsage(price.price);
    const notes = new EndNotes();
    let proc: AgentProcess | null = null;
    let linger: NodeJS.Timeout | null = null;

    const common = ['-C', spec.worktree, '--sandbox', sandboxFor(spec.pkg.permissions), ...(spec.pkg.model ? ['--model', spec.pkg.model] : [])];
    const args = ['exec', '--json', '--skip-git-repo-check', ...common, '-c', 'approval_policy="never"', prompt.text];
    const parseLine = (line: string) =>
      parseCodexLine(line, usage, {
        onSession: (id) => writeFileSync(join(spec.attemptDir, 'session.json'), `${JSON.stringify({ sessionId: id, cwd: spec.worktree, harness: 'codex', at: new Date().toISOString() })}\n`),
        onMcpFailure: (reason) => notes.add(`the daedalus MCP server did not connect: ${reason} (see ${join(home.dir, 'config.toml')})`),
        onTurnCompleted: () => {
          writeFileSync(join(spec.attemptDir, 'usage.json'), `${JSON.stringify({ model: model ?? null, priced_as: price.source, input_tokens: usage.input, cached_input_tokens: usage.cachedInput, output_tokens: usage.output })}\n`);
          if (spec.pkg.mode === 'interactive' || linger) return;
          linger = setTimeout(() => {
            notes.add(`codex was still running ${LINGER_MS / 1000}s after its turn completed; stopped`);
            void proc?.terminate(2000);
          }, LINGER_MS);
          linger.unref();
        },
      });

    const native = codexCommand(command, { ...spec.env, CODEX_HOME: home.dir });
    const started = await startAgent(spec, {
      command: native.command,
      args,
      interactiveArgs: [...common, '--ask-for-approval', 'on-request'],
      promptFile: prompt.file,
      env: native.env,
      parseLine,
    });
    const wrapped = notes.wrap(started);
    // The attempt is over only once what Codex left outside its process group is gone too.
    const exited = wrapped.exited.then(async (end) => {
      if (linger) clearTimeout(linger);
      await cleanCodexHome(home.dir);
      return end;
    });
    proc = { ...wrapped, exited, terminate: (graceMs) => wrapped.terminate(graceMs).then(() => exited) };
    return proc;
  },
};
