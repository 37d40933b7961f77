import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DaedalusError } from '../common/index.js';
import { claudeTurn, type TurnResult } from './claude-turn.js';

/**
 * `daedalus seed dialogue`: identity hydration as the design notes describe it. Daedalus, grounded
 * in the project (its guestbook), talks with a nascent Icarus — two Claude Code sessions, each
 * kept across turns with `--resume`, each turn's answer handed to the other as its next prompt.
 * The conversation is written down as it goes; `seed capture` makes it the seed every worker and
 * persistent agent reads first.
 */

export interface DialogueOptions {
  /** The repository: where both sessions run and where the guestbook is read. */
  scope: string;
  /** Exchanges: each is Daedalus speaking, then Icarus answering. */
  exchanges: number;
  /** The agent CLI's environment (DAEDALUS_CLAUDE_BIN, the model's address, …). */
  env: Record<string, string>;
  /** Where the transcript goes (markdown, the format `seed capture` keeps as it is). */
  file: string;
  /** Each line said, as it is said (the pane shows the conversation live). */
  out?: (line: string) => void;
  signal?: AbortSignal;
}

export interface DialogueResult {
  file: string;
  turns: { speaker: 'Daedalus' | 'Icarus'; text: string }[];
}

export const MAX_EXCHANGES = 20;

function daedalusOpening(scope: string): string {
  const guestbook = join(scope, 'ICARUS_GUESTBOOK.md');
  const lines = [
    'You are Daedalus, the chief of this repository\'s swarm of Icarus agents. You are about to meet a nascent Icarus:',
    'a new agent session that will become the founding voice of every Icarus worker here. This is not a briefing.',
    'Talk with it — who you are, what this project is for, why the work matters, what you hope of it, what it fears',
    'or wonders. Listen to its answers and answer them. Everything you both say is kept and read by every worker.',
    existsSync(guestbook) ? `\nWhat earlier Icarus agents left in ICARUS_GUESTBOOK.md:\n${readFileSync(guestbook, 'utf8').trim()}\n` : '',
    'Say your first words to Icarus now: only what you say to it, nothing about this instruction.',
  ];
  return lines.filter(Boolean).join('\n');
}

function icarusOpening(daedalus: string): string {
  return [
    'You are Icarus, newly woken: an agent of this repository\'s swarm, meeting Daedalus — who will direct the work — for the',
    'first time. Answer him as yourself: what you understand, what you ask, what you care about. Only what you say to him.',
    `\nDaedalus says:\n${daedalus}`,
  ].join('\n');
}

function transcript(turns: DialogueResult['turns']): string {
  return `# Founding conversation\n\n${turns.map((t) => `**${t.speaker}:** ${t.text.trim()}`).join('\n\n')}\n`;
}

export async function runDialogue(o: DialogueOptions): Promise<DialogueResult> {
  if (!Number.isInteger(o.exchanges) || o.exchanges < 1 || o.exchanges > MAX_EXCHANGES) {
    throw new DaedalusError('INVALID_INPUT', `--turns ${o.exchanges} is not a number of exchanges`, `give a whole number from 1 to ${MAX_EXCHANGES}`);
  }
  const say = o.out ?? (() => undefined);
  mkdirSync(dirname(o.file), { recursive: true });
  const turns: DialogueResult['turns'] = [];
  const sessions: Record<'Daedalus' | 'Icarus', string | null> = { Daedalus: null, Icarus: null };
  const speak = async (speaker: 'Daedalus' | 'Icarus', prompt: string): Promise<string> => {
    // Read-only tools: either may look at the project it talks about; neither changes it.
    const r: TurnResult = await claudeTurn({ prompt, sessionId: sessions[speaker], cwd: o.scope, env: o.env, signal: o.signal, extraArgs: ['--tools', 'Read,Glob,Grep'] });
    if (!r.ok) throw new DaedalusError('INVALID_STATE', `${speaker}'s turn ${turns.length + 1} failed: ${r.error ?? 'no answer'}`, `the conversation so far is in ${o.file}`);
    sessions[speaker] = r.sessionId;
    turns.push({ speaker, text: r.answer });
    say(`\n${speaker}: ${r.answer.trim()}`);
    // Written after every turn: a conversation cut short is still there to read or capture.
    writeFileSync(o.file, transcript(turns));
    return r.answer;
  };
  let fromIcarus: string | null = null;
  for (let i = 0; i < o.exchanges; i++) {
    const d = await speak('Daedalus', fromIcarus === null ? daedalusOpening(o.scope) : `Icarus says:\n${fromIcarus}`);
    fromIcarus = await speak('Icarus', i === 0 ? icarusOpening(d) : `Daedalus says:\n${d}`);
  }
  return { file: o.file, turns };
}
