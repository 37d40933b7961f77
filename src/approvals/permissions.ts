import { isAbsolute, relative } from 'node:path';

/**
 * Permission patterns as plans write them, in Claude Code's rule syntax: `Tool` or
 * `Tool(specifier)` — `Bash(npm test:*)` (command prefix), `Bash(git *)` (command glob),
 * `Edit(src/**)` (path glob), `WebFetch(domain:example.com)`, `mcp__server` (a whole MCP server).
 * A leading `!` makes an entry a deny rule. `mode:MODE` (Claude Code's permission mode) and
 * `sandbox:MODE` (Codex's sandbox) are settings for the agent CLI, not rules.
 */
export interface PermissionPolicy {
  allow: string[];
  deny: string[];
}

export type PolicyDecision = { decision: 'allow' | 'deny'; rule: string } | { decision: 'ask' };

const isSetting = (e: string) => /^(mode|sandbox):/.test(e);

/** The value of a `NAME:value` setting entry (`mode:acceptEdits`, `sandbox:read-only`), if present. */
export function permissionSetting(entries: string[], name: 'mode' | 'sandbox'): string | undefined {
  const hit = entries.map((e) => e.trim()).find((e) => e.startsWith(`${name}:`));
  return hit?.slice(name.length + 1).trim() || undefined;
}

export function splitPermissions(entries: string[]): PermissionPolicy {
  const allow: string[] = [];
  const deny: string[] = [];
  for (const raw of entries) {
    const e = raw.trim();
    if (e === '' || isSetting(e)) continue;
    if (e.startsWith('!')) deny.push(e.slice(1).trim());
    else allow.push(e);
  }
  return { allow, deny };
}

const FILE_TOOLS = new Set(['Edit', 'Write', 'Read', 'MultiEdit', 'NotebookEdit', 'NotebookRead']);

function globToRegExp(glob: string, pathLike: boolean): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
        if (glob[i + 1] === '/') i++;
      } else re += pathLike ? '[^/]*' : '.*';
    } else if (c === '?') re += pathLike ? '[^/]' : '.';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

function toolMatches(pattern: string, tool: string): boolean {
  if (pattern === tool) return true;
  // `mcp__daedalus` (or `mcp__daedalus__*`) covers every tool of that server.
  if (pattern.startsWith('mcp__') && tool.startsWith(`${pattern.replace(/__\*$/, '')}__`)) return true;
  return pattern.includes('*') && globToRegExp(pattern, false).test(tool);
}

/** What a specifier is matched against: the command, the path (relative to the worktree), the domain. */
function subjectOf(tool: string, input: Record<string, unknown>, root: string | undefined): string {
  const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
  if (tool === 'Bash') return str('command') ?? '';
  if (FILE_TOOLS.has(tool)) {
    const p = str('file_path') ?? str('notebook_path') ?? str('path') ?? '';
    if (root && isAbsolute(p)) {
      const rel = relative(root, p);
      if (!rel.startsWith('..') && !isAbsolute(rel)) return rel;
    }
    return p;
  }
  if (tool === 'WebFetch') {
    try {
      return `domain:${new URL(str('url') ?? '').hostname}`;
    } catch {
      return '';
    }
  }
  return str('command') ?? str('path') ?? str('pattern') ?? str('url') ?? JSON.stringify(input);
}

function specMatches(tool: string, spec: string, subject: string): boolean {
  // `npm test:*` is Claude Code's prefix form: the command starts with `npm test`.
  if (spec.endsWith(':*')) {
    const prefix = spec.slice(0, -2);
    return subject === prefix || subject.startsWith(`${prefix} `);
  }
  return globToRegExp(spec, FILE_TOOLS.has(tool)).test(subject);
}

export function ruleMatches(rule: string, tool: string, input: Record<string, unknown>, root?: string): boolean {
  const m = /^([^()]+?)(?:\((.*)\))?$/s.exec(rule.trim());
  if (!m) return false;
  if (!toolMatches(m[1]!.trim(), tool)) return false;
  if (m[2] === undefined || m[2] === '' || m[2] === '*') return true;
  return specMatches(tool, m[2], subjectOf(tool, input, root));
}

/**
 * A compound shell command is allowed only when every part is, and denied when any part is, so
 * `npm test && rm -rf ~` does not pass as `npm test`. Substitutions and redirections count as
 * parts that no prefix rule matches.
 */
function commandParts(command: string): string[] {
  if (/`|\$\(|<\(|>\(/.test(command)) return [command, '\u0000substitution'];
  return command
    // `2>&1` is a redirection, not a background `&`.
    .split(/&&|\|\||[;|\n]|(?<![<>])&(?!>)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function decide(policy: PermissionPolicy, tool: string, input: Record<string, unknown>, root?: string): PolicyDecision {
  const variants = tool === 'Bash' && typeof input.command === 'string' ? commandParts(input.command).map((c) => ({ ...input, command: c })) : [input];
  for (const rule of policy.deny) {
    if (variants.some((v) => ruleMatches(rule, tool, v, root)) || ruleMatches(rule, tool, input, root)) return { decision: 'deny', rule };
  }
  const allowedBy = variants.map((v) => policy.allow.find((rule) => ruleMatches(rule, tool, v, root)));
  if (allowedBy.length > 0 && allowedBy.every((r) => r !== undefined)) return { decision: 'allow', rule: allowedBy[0]! };
  return { decision: 'ask' };
}

/** One line a person can judge a request by. */
export function describeRequest(tool: string, input: Record<string, unknown>): string {
  const s = subjectOf(tool, input, undefined);
  const shown = s.length > 200 ? `${s.slice(0, 200)}…` : s;
  return shown ? `${tool}(${shown})` : tool;
}
