import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Store } from '../bus/index.js';
import { submitPrompt, waitForAnswer } from '../agents/index.js';
import { DaedalusError } from '../common/index.js';

/**
 * `daedalus editor-hook FILE`, the chief's $EDITOR. Claude Code's Ctrl-G writes the prompt being
 * typed to FILE and waits for the editor to exit, then puts FILE's text back in the input box.
 * A prompt starting with `@NAME` (or `@role`) is delegated: the rest goes to that persistent agent,
 * and its answer becomes the file's text — so the answer lands in the chief's prompt box, ready to
 * be edited or sent. Anything else opens the person's real editor. Ctrl-C cancels the delegated task.
 */

const MENTION = /^\s*@([a-z][a-z0-9_-]{0,31})\b[ \t]*:?\s*([\s\S]*)$/;

export function parseDelegation(text: string): { target: string; prompt: string } | null {
  const m = MENTION.exec(text);
  return m ? { target: m[1]!, prompt: m[2]!.trim() } : null;
}

/** The person's own editor: DAEDALUS_REAL_EDITOR, else $VISUAL/$EDITOR unless they are this hook, else vi. */
export function realEditor(env: NodeJS.ProcessEnv, self: string | null): string {
  const candidates = [env.DAEDALUS_REAL_EDITOR, env.VISUAL, env.EDITOR].map((e) => e?.trim()).filter((e): e is string => Boolean(e));
  return candidates.find((e) => e !== self && !/editor(-hook|\.sh)\b/.test(e)) ?? 'vi';
}

export interface EditorHookOptions {
  file: string;
  store: Store;
  scope: string;
  env?: NodeJS.ProcessEnv;
  /** Progress for the pane while the agent works (stderr: the file is the answer). */
  say?: (line: string) => void;
  signal?: AbortSignal;
}

export type EditorHookResult = { delegated: true; agent: string; taskId: string } | { delegated: false; editor: string; code: number };

export async function editorHook(o: EditorHookOptions): Promise<EditorHookResult> {
  const env = o.env ?? process.env;
  let text: string;
  try {
    text = readFileSync(o.file, 'utf8');
  } catch (e) {
    throw new DaedalusError('INVALID_INPUT', `the editor hook cannot read ${o.file}: ${(e as Error).message}`, 'it is meant to be $EDITOR: it is given the file to edit');
  }
  const d = parseDelegation(text);
  if (!d) {
    const editor = realEditor(env, env.EDITOR ?? null);
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'editor', o.file], { stdio: 'inherit', env });
      child.once('error', reject);
      child.once('exit', (c) => resolve(c ?? 1));
    });
    return { delegated: false, editor, code };
  }
  const say = o.say ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { agent, task } = await submitPrompt(o.store, o.scope, d.target, d.prompt, 'editor-hook');
  say(`→ @${agent.name} (${agent.role}, ${agent.status}): ${task.id} — Ctrl-C cancels`);
  const onAbort = () => void o.store.cancelTask(task.id, { by: 'editor-hook', reason: 'cancelled with Ctrl-C' }).catch(() => undefined);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { answer } = await waitForAnswer(o.store, o.scope, task.id, { onProgress: (t) => say(`  ${agent.name}: ${t}`) });
    writeFileSync(o.file, answer.endsWith('\n') ? answer : `${answer}\n`);
  } catch (e) {
    if (o.signal?.aborted) {
      // The person's prompt stays as it was: nothing is lost by cancelling.
      throw new DaedalusError('INVALID_STATE', `delegation to @${agent.name} cancelled (task ${task.id})`);
    }
    throw e;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  return { delegated: true, agent: agent.name, taskId: task.id };
}
