import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { resolveScope } from '../bus/index.js';
import { DaedalusError } from '../common/index.js';
import { estimateTokens } from './prompt.js';

/**
 * The project seed: founding context every worker reads first (see docs/worker-contract.md).
 * It lives in the main checkout at `.daedalus/seed.md`, so every worktree of the repository — and
 * every run — gets the same one without committing it.
 */

export const SEED_FILE = join('.daedalus', 'seed.md');

export interface SeedOptions {
  /** The repository (any directory inside it); default the current directory's. */
  repo?: string;
}

/** The main checkout's root: the seed belongs to the repository, not to one worktree. */
function repoRoot(dir: string | undefined): string {
  return resolveScope(dir ?? process.cwd(), {});
}

export const seedPath = (repo: string) => join(repo, SEED_FILE);

/** The seed's text, or null when there is none (missing or blank). */
export function readSeed(repo: string): string | null {
  try {
    const text = readFileSync(seedPath(repo), 'utf8').trim();
    return text === '' ? null : text;
  } catch {
    return null;
  }
}

export interface SeedInfo {
  path: string;
  text: string | null;
  tokens: number;
}

/** `daedalus seed show`. */
export async function seedShow(opts: SeedOptions = {}): Promise<SeedInfo> {
  const repo = repoRoot(opts.repo);
  const text = readSeed(repo);
  return { path: seedPath(repo), text, tokens: text ? estimateTokens(text) : 0 };
}

const TEMPLATE = `<!--
The founding context every Icarus worker of this project reads before its task.
Write who the workers are working with and why the work matters — or capture a real conversation
with \`daedalus seed capture FILE\`. Everything here is sent on every worker's first turn.
-->
`;

/** `daedalus seed edit`: opens $VISUAL / $EDITOR (vi) on the seed, creating it from a template. */
export async function seedEdit(opts: SeedOptions & { editor?: string; env?: NodeJS.ProcessEnv } = {}): Promise<SeedInfo> {
  const repo = repoRoot(opts.repo);
  const path = seedPath(repo);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, TEMPLATE);
  }
  const env = opts.env ?? process.env;
  const editor = opts.editor?.trim() || env.VISUAL?.trim() || env.EDITOR?.trim() || 'vi';
  // Through the shell, so an EDITOR with arguments ("code --wait") works as it does for git.
  const code = await new Promise<number | null>((resolve, reject) => {
    const p = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'daedalus-seed-edit', path], { stdio: 'inherit', env });
    p.once('error', reject);
    p.once('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new DaedalusError('INVALID_STATE', `the editor (${editor}) exited with status ${code}`, 'the seed was left as it was before the editor failed, if it saved nothing');
  return seedShow({ repo });
}

interface TranscriptLine {
  type?: string;
  message?: { role?: string; content?: unknown };
  isMeta?: boolean;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  // Only what was said: tool calls and their results are not part of the relationship.
  return (content as { type?: string; text?: string }[])
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text!)
    .join('\n');
}

/**
 * A Claude Code transcript (`~/.claude/projects/…/SESSION.jsonl`) as a dialogue: the person
 * speaking is Daedalus, the model Icarus. Other files are taken as they are.
 */
export function transcriptToSeed(raw: string, file: string): { text: string; turns: number } {
  if (!file.endsWith('.jsonl')) return { text: raw.trim(), turns: 0 };
  const turns: string[] = [];
  for (const line of raw.split('\n')) {
    if (line.trim() === '') continue;
    let row: TranscriptLine;
    try {
      row = JSON.parse(line) as TranscriptLine;
    } catch {
      continue;
    }
    if ((row.type !== 'user' && row.type !== 'assistant') || row.isMeta) continue;
    const text = textOf(row.message?.content).trim();
    // Command echoes and system reminders are the CLI talking, not the conversation.
    if (text === '' || text.startsWith('<command-') || text.startsWith('<local-command') || text.startsWith('<system-reminder>')) continue;
    turns.push(`**${row.type === 'user' ? 'Daedalus' : 'Icarus'}:** ${text}`);
  }
  if (turns.length === 0) throw new DaedalusError('INVALID_INPUT', `${basename(file)} holds no conversation`, 'give a Claude Code transcript (.jsonl) or a text/markdown file');
  return { text: `# Founding conversation\n\n${turns.join('\n\n')}`, turns: turns.length };
}

/** `daedalus seed capture FILE`: a conversation transcript (or any text) becomes the seed. */
export async function seedCapture(opts: SeedOptions & { file: string }): Promise<SeedInfo & { text: string; turns: number }> {
  const repo = repoRoot(opts.repo);
  let raw: string;
  try {
    raw = readFileSync(opts.file, 'utf8');
  } catch (e) {
    throw new DaedalusError('NOT_FOUND', `cannot read ${opts.file}: ${(e as Error).message}`);
  }
  const { text, turns } = transcriptToSeed(raw, opts.file);
  const path = seedPath(repo);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${text}\n`);
  return { path, text, tokens: estimateTokens(text), turns };
}
