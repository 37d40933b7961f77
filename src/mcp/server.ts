import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DaedalusError, describeError, isDaedalusError, packageVersion } from '../common/index.js';
import type { McpContext } from './context.js';
import type { Engine } from './engine.js';
import { INVALID_PARAMS, McpProtocol, ProtocolError, type Params } from './protocol.js';
import { RESOURCE_LIST } from './resource-list.js';
import { errorResult } from './result.js';
import { listedTools } from './tool-list.js';

const INSTRUCTIONS = [
  'Daedalus coordination bus: you are one of several agents working on one codebase.',
  'If whoami says registered:false, call register first.',
  'Workers: whoami shows your current task (a worker started by Daedalus already holds one; otherwise claim_next_task); lock_file before editing a shared file, report_progress at milestones, complete_task with a structured result.',
  'Any tool call keeps your task lease alive; LEASE_LOST means stop working on that task.',
  'Use wait_for_activity to block for messages and task changes instead of polling.',
].join(' ');

/**
 * The protocol versions this server speaks: the SDK's list for the version Daedalus is built
 * with (a test keeps the two equal). A client asking for another one gets the newest.
 */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'];

/** Where the context comes from: given (tests, embedding), or opened on first need (`daedalus mcp`). */
export type ContextSource = McpContext | (() => Promise<McpContext>);

/**
 * The MCP server for one agent. The handshake (initialize, tools/list, resources/list) is answered
 * from constants; the tools, their zod schemas and the bus are loaded on the first call that needs
 * them, or earlier through `warm()` once the handshake is over. Every tool failure is an isError
 * result that starts with its code, a failure to reach the bus included.
 */
export class DaedalusServer extends McpProtocol {
  private engine: Promise<Engine> | null = null;

  /** @param pinnedRole the role of the instance this server was started for (see listedTools). */
  constructor(
    private readonly source: ContextSource,
    pinnedRole: string | null = null,
  ) {
    super();
    this.handle('initialize', (p) => ({
      protocolVersion: typeof p.protocolVersion === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(p.protocolVersion) ? p.protocolVersion : SUPPORTED_PROTOCOL_VERSIONS[0],
      capabilities: { tools: {}, resources: {} },
      serverInfo: { name: 'daedalus', version: packageVersion() },
      instructions: INSTRUCTIONS,
    }));
    this.handle('ping', () => ({}));
    this.handle('tools/list', async () => ({ tools: await listedTools(pinnedRole) }));
    this.handle('tools/call', (p, extra) => this.callTool(p, extra));
    this.handle('resources/list', () => ({ resources: RESOURCE_LIST.map(({ uri, name, description }) => ({ uri, name, description, mimeType: 'application/json' })) }));
    this.handle('resources/read', async (p) => {
      const uri = typeof p.uri === 'string' ? p.uri : '';
      const read = (await this.load()).readResource(uri);
      if (!read) throw new ProtocolError(INVALID_PARAMS, `NOT_FOUND: no resource ${uri || '(no uri given)'} — read one of ${RESOURCE_LIST.map((x) => x.uri).join(', ')}`);
      return read;
    });
  }

  /** Starts loading the tools and the context now, so the agent's first call does not wait for them. */
  warm(): void {
    this.load().catch(() => undefined);
  }

  /** The engine; a failed load (the bus unreachable) is retried by the next call. */
  load(): Promise<Engine> {
    if (this.engine) return this.engine;
    const loading = (async () => {
      const ctx = typeof this.source === 'function' ? await this.source() : this.source;
      const { createEngine } = await import('./engine.js');
      return createEngine(ctx);
    })();
    this.engine = loading;
    loading.catch(() => {
      if (this.engine === loading) this.engine = null;
    });
    return loading;
  }

  private async callTool(p: Params, extra: Parameters<Engine['callTool']>[2]): Promise<CallToolResult> {
    if (typeof p.name !== 'string') throw new ProtocolError(INVALID_PARAMS, 'tools/call needs a tool name (params.name)');
    let engine: Engine;
    try {
      engine = await this.load();
    } catch (e) {
      const err = isDaedalusError(e) ? e : new DaedalusError('BUS_UNAVAILABLE', `the server cannot reach the bus: ${describeError(e)}`, 'check --bus / DAEDALUS_BUS, then retry');
      return errorResult(err);
    }
    return engine.callTool(p.name, p.arguments, extra);
  }
}

/** A server for one agent's context (or for a context opened on first need). */
export function buildServer(source: ContextSource, pinnedRole: string | null = null): DaedalusServer {
  return new DaedalusServer(source, pinnedRole);
}
