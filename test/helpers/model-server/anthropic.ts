import type { ServerResponse } from 'node:http';
import { callId, resolveTool, turnFromIds, type ToolResult, type Turn, type TurnContext } from './script.js';

/** The Anthropic Messages API, as much of it as Claude Code uses: one turn, streamed or not. */

type Block = { type: string; text?: string; id?: string; name?: string; tool_use_id?: string; content?: unknown; is_error?: boolean };
type Message = { role: string; content: string | Block[] };

const blocks = (m: Message | undefined): Block[] => (m === undefined ? [] : typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content);

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return (content as Block[]).map((b) => b.text ?? '').join('\n');
  return '';
}

export function anthropicContext(body: Record<string, unknown>): TurnContext {
  const messages = (body.messages as Message[] | undefined) ?? [];
  const ids = messages.filter((m) => m.role === 'assistant').flatMap((m) => blocks(m).filter((b) => b.type === 'tool_use').map((b) => b.id ?? ''));
  // Claude Code may append `system` messages (MCP server instructions) after the tool results.
  const last = messages.filter((m) => m.role !== 'system').at(-1);
  const results: ToolResult[] =
    last?.role === 'user'
      ? blocks(last)
          .filter((b) => b.type === 'tool_result')
          .map((b) => ({ id: b.tool_use_id ?? '', text: resultText(b.content), isError: b.is_error === true }))
      : [];
  const firstUser = messages.find((m) => m.role === 'user');
  const userText = (m: Message | undefined) =>
    blocks(m)
      .map((b) => b.text ?? '')
      .join('\n');
  return {
    api: 'anthropic',
    turn: turnFromIds(ids),
    tools: ((body.tools as { name: string }[] | undefined) ?? []).map((t) => t.name),
    results,
    prompt: userText(firstUser),
    lastUserText: userText(messages.findLast((m) => m.role === 'user' && blocks(m).some((b) => b.type === 'text'))),
    body,
  };
}

/** The content blocks of a scripted turn; an unknown tool becomes text that says so (the test sees it). */
function contentOf(turn: Turn, ctx: TurnContext, problems: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (turn.text !== undefined) out.push({ type: 'text', text: turn.text });
  (turn.calls ?? []).forEach((c, i) => {
    const name = resolveTool(c.tool, ctx.tools);
    if (!name) {
      problems.push(`turn ${ctx.turn}: tool ${c.tool} not offered (offered: ${ctx.tools.join(', ')})`);
      out.push({ type: 'text', text: `(scripted call to ${c.tool} skipped: not offered)` });
      return;
    }
    out.push({ type: 'tool_use', id: callId('anthropic', ctx.turn, i), name, input: c.input });
  });
  if (out.length === 0) out.push({ type: 'text', text: '' });
  return out;
}

export function writeAnthropic(res: ServerResponse, body: Record<string, unknown>, turn: Turn, ctx: TurnContext, problems: string[]): void {
  const content = contentOf(turn, ctx, problems);
  const stop = content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
  const usage = { input_tokens: turn.usage?.input ?? 100, output_tokens: turn.usage?.output ?? 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const id = `msg_scripted_${ctx.turn}_${Date.now().toString(36)}`;
  const model = typeof body.model === 'string' ? body.model : 'scripted';
  if (body.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, type: 'message', role: 'assistant', model, content, stop_reason: stop, stop_sequence: null, usage }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', {
    message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
  });
  content.forEach((b, index) => {
    if (b.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index, delta: { type: 'text_delta', text: b.text } });
    } else {
      send('content_block_start', { index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
      // Split the JSON like a real stream does, so the client's reassembly is exercised.
      const json = JSON.stringify(b.input);
      const cut = Math.floor(json.length / 2);
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(0, cut) } });
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(cut) } });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  send('message_stop', {});
  res.end();
}
