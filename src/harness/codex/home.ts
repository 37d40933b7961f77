import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { McpEntry } from '../launch.js';

/**
 * Codex reads its MCP servers only from config.toml, so every attempt gets its own CODEX_HOME:
 * the user's config (model, providers, profiles) with a `[mcp_servers.daedalus]` table for this
 * task, and a copy of the user's auth.json. A copy, not a link: Codex rewrites auth.json when it
 * refreshes a login token, and ten agents must not race on the user's file — the price is that a
 * refresh made by an agent is not kept (the user's own login refreshes itself on next use).
 */

/** Where the user's Codex configuration is: CODEX_HOME of the package env or ours, else ~/.codex. */
export function userCodexHome(env: Record<string, string>): string {
  return env.CODEX_HOME?.trim() || process.env.CODEX_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.codex');
}

/** A TOML basic string. JSON escapes are valid TOML except that TOML also forbids DEL. */
export const tomlString = (s: string) => JSON.stringify(s).replace(/\u007f/g, '\\u007F');

const tomlKey = (k: string) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k));

/** The user's config without any daedalus server of its own (a duplicate table is a TOML error). */
export function withoutDaedalusServer(toml: string): string {
  const out: string[] = [];
  let skipping = false;
  for (const line of toml.split('\n')) {
    const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (header) skipping = /^mcp_servers\.("daedalus"|daedalus)(\.|$)/.test(header[1]!.replace(/\s+/g, ''));
    if (!skipping) out.push(line);
  }
  return out.join('\n');
}

/** The top-level `model = "…"` of a config, for pricing when the package names no model. */
export function configuredModel(toml: string): string | undefined {
  for (const line of toml.split('\n')) {
    if (/^\s*\[/.test(line)) return undefined;
    const m = /^\s*model\s*=\s*"([^"]+)"/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

const tomlTable = (name: string, values: Record<string, string>) => ['', `[${name}]`, ...Object.entries(values).map(([k, v]) => `${tomlKey(k)} = ${tomlString(v)}`)];

export function daedalusServerToml(entry: McpEntry): string {
  const http = 'url' in entry;
  const lines = [
    '',
    '# Added by daedalus for this attempt: the coordination bus, with the task identity and lease.',
    '[mcp_servers.daedalus]',
    ...(http ? [`url = ${tomlString(entry.url)}`] : [`command = ${tomlString(entry.command)}`, `args = [${entry.args.map(tomlString).join(', ')}]`]),
    // Without the bus the agent can neither report nor complete: refuse to start instead.
    'required = true',
    // The bus tools are the worker contract; in exec mode an approval request would just fail the call.
    'default_tools_approval_mode = "approve"',
    'startup_timeout_sec = 30',
    // wait_for_activity may block for up to 300 s.
    'tool_timeout_sec = 330',
    ...(http ? tomlTable('mcp_servers.daedalus.http_headers', entry.headers) : tomlTable('mcp_servers.daedalus.env', entry.env)),
    '',
  ];
  return lines.join('\n');
}

export interface CodexHome {
  dir: string;
  model: string | undefined;
}

/** The worktree is the agent's own: trusted, so the interactive TUI does not stop to ask. */
export const trustToml = (worktree: string) => `\n[projects.${tomlString(worktree)}]\ntrust_level = "trusted"\n`;

export function prepareCodexHome(attemptDir: string, env: Record<string, string>, entry: McpEntry, worktree: string): CodexHome {
  const source = userCodexHome(env);
  const dir = join(attemptDir, 'codex-home');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const configFile = join(source, 'config.toml');
  const base = existsSync(configFile) ? withoutDaedalusServer(readFileSync(configFile, 'utf8')) : '';
  writeFileSync(join(dir, 'config.toml'), `${base.trimEnd()}\n${daedalusServerToml(entry)}${trustToml(worktree)}`, { mode: 0o600 });
  const auth = join(source, 'auth.json');
  if (existsSync(auth)) copyFileSync(auth, join(dir, 'auth.json'));
  return { dir, model: configuredModel(base) };
}

/** Live processes whose command line runs something from inside dir (its binaries, copied there). */
function processesFrom(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.startsWith(`${dir}/`) || cmd.includes(`\0${dir}/`)) out.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return out;
}

/**
 * After an attempt: Codex's TUI copies its own binary (about 200 MB) into CODEX_HOME/packages and
 * starts an app-server daemon from it in a session of its own, outside the attempt's process
 * group — so it outlived every attempt and the copies piled up. The daemon is killed and the
 * copy removed; the config, logs and sessions stay for whoever reads them.
 */
export async function cleanCodexHome(dir: string): Promise<{ killed: number[] }> {
  const killed = processesFrom(dir);
  for (const pid of killed) signal(pid, 'SIGTERM');
  for (let i = 0; i < 40 && processesFrom(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  for (const pid of processesFrom(dir)) signal(pid, 'SIGKILL');
  rmSync(join(dir, 'packages'), { recursive: true, force: true });
  return { killed };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}
