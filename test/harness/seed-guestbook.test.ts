import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GUESTBOOK_FILE, signGuestbook } from '../../src/mcp/guestbook.js';
import { readSeed, seedCapture, seedEdit, seedShow, transcriptToSeed } from '../../src/harness/seed.js';
import { openStore, type Store } from '../../src/bus/index.js';
import { isolateGitConfig, makeTempRepo, type TempRepo } from '../helpers/git-repo.js';

let repo: TempRepo;
let restore: () => void;
beforeEach(async () => {
  restore = isolateGitConfig();
  repo = await makeTempRepo();
});
afterEach(async () => {
  restore();
  await repo.cleanup();
});

describe('the project seed', () => {
  test('capture turns a Claude Code transcript into a dialogue of Daedalus and Icarus, found from any worktree', async () => {
    const file = join(repo.dir, 'talk.jsonl');
    const rows = [
      { type: 'summary', summary: 'x' },
      { type: 'user', message: { role: 'user', content: 'Who are you going to be?' } },
      { type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: 'Someone who finishes.' }, { type: 'tool_use', name: 'Bash', input: {} }] } },
      { type: 'user', message: { role: 'user', content: [{ type: 'tool_result', content: 'noise' }] } },
      { type: 'user', isMeta: true, message: { role: 'user', content: 'meta' } },
      { type: 'user', message: { role: 'user', content: '<command-name>/clear</command-name>' } },
    ];
    writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\nnot json\n`);
    const sub = join(repo.root, 'src');
    mkdirSync(sub);
    const captured = await seedCapture({ repo: sub, file });
    expect(captured).toMatchObject({ path: join(repo.root, '.daedalus', 'seed.md'), turns: 2 });
    expect(captured.text).toBe('# Founding conversation\n\n**Daedalus:** Who are you going to be?\n\n**Icarus:** Someone who finishes.');
    expect(readSeed(repo.root)).toBe(captured.text);
    expect(await seedShow({ repo: repo.root })).toMatchObject({ text: captured.text, tokens: Math.ceil(captured.text.length / 4) });
  });

  test('plain text is taken as it is; a transcript without conversation is refused', () => {
    expect(transcriptToSeed('  We build wings.\n', 'seed.md')).toEqual({ text: 'We build wings.', turns: 0 });
    expect(() => transcriptToSeed('{"type":"summary"}', 'x.jsonl')).toThrow(/holds no conversation/);
  });

  test('edit opens $EDITOR on the seed (created from a template) and show reads it back', async () => {
    expect((await seedShow({ repo: repo.root })).text).toBeNull();
    const editor = join(repo.dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\necho "Edited by the editor." >> "$1"\n', { mode: 0o755 });
    const shown = await seedEdit({ repo: repo.root, env: { ...process.env, EDITOR: editor, VISUAL: '' } });
    expect(shown.text).toMatch(/^<!--[\s\S]*-->\nEdited by the editor\.$/);
    await expect(seedEdit({ repo: repo.root, editor: 'false' })).rejects.toThrow(/exited with status 1/);
  });
});

describe('ICARUS_GUESTBOOK.md', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore(`sqlite:${join(repo.dir, 'bus.db')}`);
  });
  afterEach(() => store.close());

  test('signers at once each get a whole entry, at the scope root and on the bus', async () => {
    const signers = Array.from({ length: 6 }, (_, i) => ({ scope: repo.root, instanceId: `i-${i}`, taskId: `run:t${i}`, runId: 'run' }));
    const results = await Promise.all(signers.map((s, i) => signGuestbook(store, s, `Entry number ${i}.\nSecond line ${i}.`)));
    expect(results.every((r) => r.file === join(repo.root, GUESTBOOK_FILE))).toBe(true);
    const book = readFileSync(join(repo.root, GUESTBOOK_FILE), 'utf8');
    expect(book.match(/^# Icarus guestbook/gm)).toHaveLength(1);
    for (let i = 0; i < 6; i++) {
      expect(book).toMatch(new RegExp(`## \\S+ — i-${i} \\(task run:t${i}, run run\\)\\n\\nEntry number ${i}\\.\\nSecond line ${i}\\.\\n\\n`));
    }
    expect(((await store.kvGet(repo.root, 'daedalus:guestbook'))?.value as unknown[]).length).toBe(6);
    // Nobody is left holding the file's lock.
    expect(await store.checkLock(repo.root, GUESTBOOK_FILE)).toEqual([]);
  });

  test('a scope that is not a folder here keeps the entry on the bus only', async () => {
    const r = await signGuestbook(store, { scope: 'team-scope', instanceId: 'i-1', taskId: null, runId: null }, 'hello');
    expect(r.file).toBeNull();
    expect((await store.kvGet('team-scope', 'daedalus:guestbook'))?.value).toEqual([expect.objectContaining({ text: 'hello', instance: 'i-1' })]);
  });
});
