/** stdout carries the MCP protocol, so every log line goes to stderr (or wherever a test points it). */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function stderrLogger(env: NodeJS.ProcessEnv = process.env, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const debug = Boolean(env.DAEDALUS_DEBUG?.trim());
  const line = (level: string, msg: string) => write(`[daedalus mcp] ${level} ${msg}\n`);
  return {
    debug: (m) => {
      if (debug) line('debug', m);
    },
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m) => line('error', m),
  };
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
