import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { permissionSetting, splitPermissions } from '../../approvals/index.js';
import type { LaunchSpec } from '../types.js';

/**
 * Claude Code's command line for one attempt (flags checked against `claude --help` of 2.1.x;
 * --permission-prompt-tool and --max-turns are accepted but hidden from the help).
 */

export const PERMISSION_TOOL = 'mcp__daedalus__approve_permission';
const MODES = ['acceptEdits', 'auto', 'bypassPermissions', 'default', 'dontAsk', 'plan'];
const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit']);

/**
 * `mode:X` in the permissions wins. Otherwise edits in the worktree are accepted when the package
 * may edit without restriction (or gave no list at all) — a worktree is the agent's own — and
 * everything else goes through the permission tool.
 */
export function permissionMode(permissions: string[]): string {
  const explicit = permissionSetting(permissions, 'mode');
  if (explicit && MODES.includes(explicit)) return explicit;
  const { allow } = splitPermissions(permissions);
  return allow.length === 0 || allow.some((a) => EDIT_TOOLS.has(a)) ? 'acceptEdits' : 'default';
}

/** Flags both modes share: MCP wiring, permissions, model, resume. */
function commonFlags(spec: LaunchSpec, mcpConfig: string, resume: string | null): string[] {
  const { allow, deny } = splitPermissions(spec.pkg.permissions);
  // The bus tools are the worker contract: never a reason to stop and ask.
  const args = ['--mcp-config', mcpConfig, '--strict-mcp-config', '--permission-mode', permissionMode(spec.pkg.permissions), '--allowedTools', ['mcp__daedalus', ...allow].join(',')];
  if (deny.length > 0) args.push('--disallowedTools', deny.join(','));
  if (spec.pkg.model) args.push('--model', spec.pkg.model);
  if (resume) args.push('--resume', resume);
  return args;
}

/** `claude -p PROMPT --output-format stream-json --verbose …` */
export function headlessArgs(spec: LaunchSpec, prompt: string, mcpConfig: string, resume: string | null): string[] {
  const args = ['-p', prompt, '--output-format', 'stream-json', '--verbose', ...commonFlags(spec, mcpConfig, resume), '--permission-prompt-tool', PERMISSION_TOOL];
  const turns = spec.env.DAEDALUS_MAX_TURNS?.trim();
  if (turns && /^\d+$/.test(turns)) args.push('--max-turns', turns);
  const budget = spec.env.DAEDALUS_MAX_BUDGET_USD?.trim();
  if (budget && Number(budget) > 0) args.push('--max-budget-usd', budget);
  return args;
}

/** The interactive TUI: the same wiring; permission prompts appear in the pane for its person. */
export function interactiveArgs(spec: LaunchSpec, mcpConfig: string, resume: string | null): string[] {
  return commonFlags(spec, mcpConfig, resume);
}

export interface SessionRecord {
  sessionId: string;
  cwd: string;
  harness: string;
  at: string;
}

function claudeConfigDir(env: Record<string, string>): string {
  return env.CLAUDE_CONFIG_DIR?.trim() || join(env.HOME?.trim() || homedir(), '.claude');
}

/**
 * The session of the previous attempt, when a retry can continue it: same worktree (Claude Code
 * keeps sessions per directory) and its transcript still on disk — resuming a missing one fails
 * the attempt outright.
 */
export function previousSession(spec: LaunchSpec): string | null {
  if (spec.attempt <= 1 || spec.env.DAEDALUS_NO_RESUME === '1') return null;
  const file = join(dirname(spec.attemptDir), `attempt-${spec.attempt - 1}`, 'session.json');
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as SessionRecord;
    if (s.harness !== 'claude' || s.cwd !== spec.worktree || !/^[0-9a-f-]{36}$/.test(s.sessionId)) return null;
    const projects = join(claudeConfigDir(spec.env), 'projects');
    const found = existsSync(projects) && readdirSync(projects).some((d) => existsSync(join(projects, d, `${s.sessionId}.jsonl`)));
    return found ? s.sessionId : null;
  } catch {
    return null;
  }
}
