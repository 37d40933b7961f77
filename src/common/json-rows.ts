/**
 * The text of JSON.stringify({ ...head, [key]: rows }, null, indent), in pieces of about 64 KB: a
 * report of thousands of tasks is written without ever holding its whole text (and that text
 * again as bytes) in memory at once. `key` must be a top-level key; rows are written one at a time.
 */
export function* jsonWithRows(head: object, key: string, rows: Iterable<unknown>, indent = 0): Generator<string> {
  // A marker no value can produce: JSON escapes control characters inside strings.
  const marker = `\u0001rows${Math.random()}`;
  const whole = JSON.stringify({ ...head, [key]: marker }, null, indent);
  const at = whole.indexOf(JSON.stringify(marker));
  const gap = ' '.repeat(indent);
  const between = indent > 0 ? `\n${gap}${gap}` : '';
  let chunk = `${whole.slice(0, at)}[`;
  let any = false;
  for (const row of rows) {
    const text = JSON.stringify(row, null, indent) ?? 'null';
    chunk += `${any ? ',' : ''}${between}${indent > 0 ? text.replace(/\n/g, `\n${gap}${gap}`) : text}`;
    any = true;
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}${any && indent > 0 ? `\n${gap}` : ''}]${whole.slice(at + JSON.stringify(marker).length)}`;
}
