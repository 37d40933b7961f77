import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaedalusError } from '../common/index.js';
import { daedalusCommand, readSeed, shQuote, writeMcpJson } from '../harness/index.js';

/**
 * The Daedalus agent in pane 0: an agent CLI with `daedalus mcp` in role planner (so it plans and
 * dispatches with the planner tools), the Daedalus identity and the project seed in its first turn,
 * and every daedalus MCP tool allowed up front — a chief that asked before each dispatch would
 * need a person at every step.
 */

export type ChiefHarness = 'claude' | 'codex';

export interface ChiefOptions {
  harness: ChiefHarness;
  scope: string;
  bus: string;
  dir: string;
  /** `daedalus editor-hook` as one executable: the value of EDITOR and VISUAL in the chief's pane. */
  editor: string;
  env?: NodeJS.ProcessEnv;
}

export function chiefPrompt(scope: string): string {
  const seed = readSeed(scope);
  const guestbook = existsSync(join(scope, 'ICARUS_GUESTBOOK.md'));
  const lines = [
    'You are Daedalus, the chief of this repository\'s swarm of Icarus agents. You do not write the code yourself:',
    'you talk with the person, split the work into packages, dispatch them with spawn_parallel_tasks, follow them',
    'with wait_for_tasks and the bus, and report. Workers run in the panes on the right; `daedalus spawn N` adds more.',
    guestbook ? 'First read ICARUS_GUESTBOOK.md at the repository root: what earlier agents learned here.' : '',
    'Persistent agents answer prompts that start with @NAME (the person sends them with Ctrl-G).',
    seed ? `\n## The project seed\n${seed.trim()}` : '',
    '\nSay in one line that you are ready, then wait for the person.',
  ];
  return lines.filter(Boolean).join('\n');
}

function binary(env: NodeJS.ProcessEnv, variable: string, name: string): string {
  return env[variable]?.trim() || name;
}

/** Writes the chief's files and returns the shell command pane 0 runs. */
export function chiefCommand(o: ChiefOptions): string {
  const env = o.env ?? process.env;
  mkdirSync(o.dir, { recursive: true });
  const daedalus = daedalusCommand();
  const mcpEnv = { DAEDALUS_BUS: o.bus, DAEDALUS_SCOPE: o.scope, DAEDALUS_ROLE: 'planner' };
  const prompt = join(o.dir, 'chief-prompt.md');
  writeFileSync(prompt, chiefPrompt(o.scope));
  const exports = [`export EDITOR=${shQuote(o.editor)} VISUAL=${shQuote(o.editor)}`, 'export MCP_CONNECTION_NONBLOCKING=0 DISABLE_AUTOUPDATER=1'];
  let words: string[];
  if (o.harness === 'claude') {
    const mcp = writeMcpJson(join(o.dir, 'chief-mcp.json'), { command: daedalus[0]!, args: [...daedalus.slice(1), 'mcp'], env: mcpEnv });
    words = [binary(env, 'DAEDALUS_CLAUDE_BIN', 'claude'), '--mcp-config', mcp, '--strict-mcp-config', '--allowedTools', 'mcp__daedalus', '--permission-mode', 'acceptEdits'].map(shQuote);
  } else if (o.harness === 'codex') {
    const toml = (v: unknown) => JSON.stringify(v);
    const envTable = `{${Object.entries(mcpEnv).map(([k, v]) => `${k}=${toml(v)}`).join(',')}}`;
    words = [
      binary(env, 'DAEDALUS_CODEX_BIN', 'codex'),
      '-c', `mcp_servers.daedalus.command=${toml(daedalus[0])}`,
      '-c', `mcp_servers.daedalus.args=${toml([...daedalus.slice(1), 'mcp'])}`,
      '-c', `mcp_servers.daedalus.env=${envTable}`,
    ].map(shQuote);
  } else {
    throw new DaedalusError('INVALID_INPUT', `--harness ${String(o.harness)} cannot be the Daedalus agent`, 'use --harness claude or --harness codex');
  }
  words.push('--', `"$(cat ${shQuote(prompt)})"`);
  const script = join(o.dir, 'chief.sh');
  writeFileSync(script, ['#!/bin/sh', '# Written by daedalus: the Daedalus agent of the control plane.', ...exports, words.join(' '), ''].join('\n'), { mode: 0o700 });
  return `sh ${shQuote(script)}`;
}
