/**
 * Which PostgreSQL errors mean "the connection went away" rather than "the statement is wrong":
 * the first pass by themselves (a server restarting, a failover, a dropped socket) and are waited
 * out; the second are answers and go to the caller.
 */

/**
 * SQLSTATEs the server sends when it is going away or not there yet: admin_shutdown (57P01),
 * crash_shutdown (57P02), cannot_connect_now (57P03, starting up or shutting down),
 * too_many_connections (53300), and the connection_exception class (08xxx) except a protocol
 * violation, which would only repeat.
 */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket errors of a connection that could not be made or was cut. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);
/** node-postgres says these without a code when the socket closed under it. */
const LOST = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|server closed the connection/i;

/** True for an error that says the server or the way to it went away, not that the statement failed. */
export function isConnectionFault(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SERVER_CODES.has(code) || SOCKET_CODES.has(code)) return true;
    if (code.startsWith('08') && code !== '08P01') return true;
  }
  return LOST.test(e.message);
}

/**
 * True for a fault that proves a server answers at the address (it is starting or stopping), as
 * opposed to nobody listening. Before the bus was ever reached only these are waited out: a
 * mistyped port is reported at once, not after the retry budget.
 */
export function isServerPassing(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && SERVER_CODES.has(code);
}
