import type { ServerResponse } from 'node:http';
import { callId, resolveTool, turnFromIds, type ToolResult, type Turn, type TurnContext } from './script.js';

/** The OpenAI Responses API as Codex uses it: one streamed turn per request, full input each time. */

type Item = { type?: string; role?: string; content?: unknown; call_id?: string; output?: unknown; name?: string };
type Tool = { type?: string; name?: string; function?: { name?: string }; tools?: Tool[] };

/** A callable tool: Codex nests MCP tools in namespaces (`mcp__daedalus` → `whoami`); `custom` tools take free text. */
interface Offered {
  name: string;
  namespace?: string;
  custom: boolean;
}

function offeredTools(tools: Tool[]): Map<string, Offered> {
  const out = new Map<string, Offered>();
  for (const t of tools) {
    if (t.type === 'namespace' && t.name) {
      for (const inner of t.tools ?? []) if (inner.name) out.set(`${t.name}__${inner.name}`, { name: inner.name, namespace: t.name, custom: inner.type === 'custom' });
    } else {
      const name = t.name ?? t.function?.name ?? t.type;
      if (name) out.set(name, { name, custom: t.type === 'custom' });
    }
  }
  return out;
}

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return (content as { text?: string }[]).map((c) => c.text ?? '').join('\n');
  if (content && typeof content === 'object') return text((content as { content?: unknown }).content);
  return '';
}

/** A function call's output: a string, or (newer Codex) content items, or a JSON text with a success flag. */
function outputOf(output: unknown): { text: string; isError: boolean } {
  const t = text(output);
  let isError = false;
  if (output && typeof output === 'object' && !Array.isArray(output) && (output as { success?: boolean }).success === false) isError = true;
  return { text: t, isError };
}

export function responsesContext(body: Record<string, unknown>): TurnContext {
  const input = (body.input as Item[] | undefined) ?? [];
  const calls = input.filter((i) => i.type === 'function_call' || i.type === 'custom_tool_call' || i.type === 'local_shell_call');
  const lastUserTurn = input.findLastIndex((i) => i.type === 'function_call' || i.type === 'custom_tool_call');
  const results: ToolResult[] = input
    .slice(lastUserTurn + 1)
    .filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output')
    .map((i) => ({ id: i.call_id ?? '', ...outputOf(i.output) }));
  const users = input.filter((i) => i.type === 'message' && i.role === 'user');
  const tools = [...offeredTools((body.tools as Tool[] | undefined) ?? []).keys()];
  return {
    api: 'responses',
    turn: turnFromIds(calls.map((c) => c.call_id ?? '')),
    tools,
    results,
    // Codex sends its environment context as user messages too; the prompt is the last of them.
    prompt: text(users.at(-1)?.content),
    lastUserText: text(users.at(-1)?.content),
    body,
  };
}

export function writeResponses(res: ServerResponse, turn: Turn, ctx: TurnContext, problems: string[]): void {
  const id = `resp_scripted_${ctx.turn}_${Date.now().toString(36)}`;
  const items: Record<string, unknown>[] = [];
  if (turn.text !== undefined) {
    items.push({ type: 'message', id: `msg_${ctx.turn}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: turn.text, annotations: [] }] });
  }
  const offered = offeredTools((ctx.body.tools as Tool[] | undefined) ?? []);
  (turn.calls ?? []).forEach((c, i) => {
    const name = resolveTool(c.tool, ctx.tools);
    const tool = name === null ? undefined : offered.get(name);
    if (!tool) {
      problems.push(`turn ${ctx.turn}: tool ${c.tool} not offered (offered: ${ctx.tools.join(', ')})`);
      items.push({ type: 'message', id: `msg_${ctx.turn}_${i}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `(scripted call to ${c.tool} skipped)`, annotations: [] }] });
      return;
    }
    const cid = callId('responses', ctx.turn, i);
    if (tool.custom) {
      items.push({ type: 'custom_tool_call', id: `ctc_${cid}`, call_id: cid, name: tool.name, input: String(c.input.input ?? ''), status: 'completed' });
    } else {
      const ns = tool.namespace ? { namespace: tool.namespace } : {};
      items.push({ type: 'function_call', id: `fc_${cid}`, call_id: cid, name: tool.name, ...ns, arguments: JSON.stringify(c.input), status: 'completed' });
    }
  });
  const inputTokens = turn.usage?.input ?? 100;
  const outputTokens = turn.usage?.output ?? 20;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let seq = 0;
  const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  const response = { id, object: 'response', status: 'in_progress', model: typeof ctx.body.model === 'string' ? ctx.body.model : 'scripted', output: [] as unknown[] };
  send('response.created', { response });
  send('response.in_progress', { response });
  items.forEach((item, output_index) => {
    send('response.output_item.added', { output_index, item: { ...item, status: 'in_progress' } });
    if (item.type === 'message') {
      const t = (item.content as { text: string }[])[0]!.text;
      send('response.output_text.delta', { item_id: item.id, output_index, content_index: 0, delta: t });
      send('response.output_text.done', { item_id: item.id, output_index, content_index: 0, text: t });
    } else if (item.type === 'function_call') {
      send('response.function_call_arguments.delta', { item_id: item.id, output_index, delta: item.arguments });
      send('response.function_call_arguments.done', { item_id: item.id, output_index, arguments: item.arguments });
    }
    send('response.output_item.done', { output_index, item });
  });
  send('response.completed', {
    response: {
      ...response,
      status: 'completed',
      output: items,
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: inputTokens + outputTokens,
      },
    },
  });
  res.end();
}
