import { describe, expect, it } from 'vitest';
import { jsonWithRows } from '../../src/common/json-rows.js';

const head = {
  run: 'r1',
  note: 'a "quoted" \\ line\nwith "tasks": [] inside and \u0001 control',
  summary: { tasks: [], nested: { deep: [1, 2] } },
  finish: null,
};
const rows = Array.from({ length: 3000 }, (_, i) => ({ id: `t${i}`, state: i % 3 ? 'done' : 'failed', files: i % 2 ? [] : ['a.ts', `b${i}.ts`], error: null, result: { big: 'x'.repeat(i % 50) } }));

describe('jsonWithRows', () => {
  for (const indent of [0, 2]) {
    it(`writes exactly what JSON.stringify writes (indent ${indent}), in pieces`, () => {
      const pieces = [...jsonWithRows(head, 'tasks', rows, indent)];
      expect(pieces.length).toBeGreaterThan(3);
      expect(pieces.join('')).toBe(JSON.stringify({ ...head, tasks: rows }, null, indent));
    });
    it(`handles no rows, and rows of another shape (indent ${indent})`, () => {
      expect([...jsonWithRows(head, 'tasks', [], indent)].join('')).toBe(JSON.stringify({ ...head, tasks: [] }, null, indent));
      const strip = ({ result: _r, ...rest }: (typeof rows)[number]) => rest;
      expect([...jsonWithRows(head, 'tasks', rows.map(strip), indent)].join('')).toBe(JSON.stringify({ ...head, tasks: rows.map(strip) }, null, indent));
    });
  }
  it('keeps the key where the head put it, and rows that are not objects', () => {
    const text = [...jsonWithRows({ a: 1, tasks: 'placeholder', z: 2 }, 'tasks', [1, 'two', null, [3]])].join('');
    expect(text).toBe(JSON.stringify({ a: 1, tasks: [1, 'two', null, [3]], z: 2 }));
  });
});
