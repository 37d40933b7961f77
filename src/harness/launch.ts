import type { LaunchSpec } from './types.js';
import { writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { buildPrompt } from './prompt.js';
import { readSeed } from './seed.js';

/**
 * The files every agent CLI gets from Daedalus: its first-turn prompt and the MCP server entry that
 * connects it to the bus. Typed structurally, so a harness passes its LaunchSpec as it is.
 */
/** What a launcher needs: the same as a harness's launch spec. */
export type AgentLaunch = LaunchSpec;

export interface McpServerEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** The supervisor's own MCP endpoint (streamable HTTP on loopback) and this agent's session token. */
export interface HttpMcpEntry {
  url: string;
  headers: Record<string, string>;
}

export type McpEntry = McpServerEntry | HttpMcpEntry;

/**
 * `daedalus mcp` with the task's identity and lease. Agent CLIs start MCP servers with only a few
 * variables of their own environment (PATH, HOME, …), so everything the server needs is spelled out.
 * The command is `spec.daedalus` (by default Node and the bundled dist/mcp.js, see daedalusCommand):
 * an absolute path, never `npx`, whose own start would be paid by every agent before its first turn.
 */
export function mcpServerEntry(spec: Pick<AgentLaunch, 'daedalus' | 'env'>): McpServerEntry {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env)) if (k.startsWith('DAEDALUS_')) env[k] = v;
  return { command: spec.daedalus[0]!, args: [...spec.daedalus.slice(1), 'mcp'], env };
}

/**
 * The bus for an agent CLI that speaks streamable HTTP: a session of the supervisor's MCP host when
 * it offers one, so the CLI does not wait for a server process to start before its first turn;
 * else (no host, or it could not start) `daedalus mcp`. An interactive pane keeps its own server:
 * a person may go on working in it, and it should not depend on the supervisor's process.
 */
export async function agentMcpEntry(spec: Pick<AgentLaunch, 'daedalus' | 'env' | 'hostedMcp' | 'pkg'>): Promise<McpEntry> {
  if (spec.hostedMcp && spec.pkg.mode !== 'interactive') {
    const session = await spec.hostedMcp().catch(() => null);
    if (session) return { url: session.url, headers: { Authorization: `Bearer ${session.token}` } };
  }
  return mcpServerEntry(spec);
}

/** The common `mcpServers` JSON format (Claude Code's --mcp-config, and most other CLIs). */
export function writeMcpJson(file: string, entry: McpEntry): string {
  const server = 'url' in entry ? { type: 'http', ...entry } : { type: 'stdio', ...entry };
  writeFileSync(file, `${JSON.stringify({ mcpServers: { daedalus: server } }, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/** The project seed: the scope is the main checkout's root (a scope that is not a folder has none). */
function projectSeed(spec: Pick<AgentLaunch, 'env'>): string | null {
  const root = spec.env.DAEDALUS_SCOPE?.trim();
  return root && isAbsolute(root) ? readSeed(root) : null;
}

/** Builds the first-turn prompt (seed included) and writes it to prompt.md in the attempt folder. */
export function writePrompt(spec: AgentLaunch, completion: 'bus' | 'exit' = 'bus'): { file: string; text: string } {
  const text = buildPrompt({
    pkg: spec.pkg,
    run: {
      runId: spec.runId,
      taskId: spec.taskId,
      attempt: spec.attempt,
      worktree: spec.worktree,
      branch: `daedalus/${spec.runId}/${spec.pkg.id}`,
      maxAttempts: spec.pkg.maxAttempts,
      previousError: spec.previousError ?? null,
    },
    seed: projectSeed(spec),
    completion,
  });
  const file = join(spec.attemptDir, 'prompt.md');
  writeFileSync(file, text);
  return { file, text };
}

/** An agent CLI's executable: the env variable (package env first, then ours), else the name on PATH. */
export function cliBinary(spec: Pick<AgentLaunch, 'env'>, variable: string, name: string): string {
  return spec.env[variable]?.trim() || process.env[variable]?.trim() || name;
}

/** A word for /bin/sh: single quotes, with any single quote closed, escaped and reopened. */
export const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
