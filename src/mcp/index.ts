export { buildServer } from './server.js';
export { runMcpServer, type RunMcpOptions } from './run.js';
export { createContext, type ContextInput } from './identity.js';
export { startHousekeeping } from './housekeeping.js';
export { DEFAULT_OPTIONS, type Identity, type McpContext, type McpOptions, type Session } from './context.js';
export { stderrLogger, silentLogger, type Logger } from './log.js';
export { POLICY, TOOL_NAMES, access, allowedTools, policyRole, type Access, type ToolName } from './policy.js';
export { startMcpHost, type HostedSession, type HostedSessionInput, type McpHost, type McpHostOptions } from './http-host.js';
