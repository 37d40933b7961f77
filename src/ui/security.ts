import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { DaedalusError } from '../common/index.js';

/**
 * The dashboard's security model, in one place:
 *  - it listens on loopback; another address needs --allow-remote, and then too every request
 *    needs the token;
 *  - every request carries the token (the `?token=` of the URL it printed, the cookie that URL
 *    sets, or the header), else 401;
 *  - a request that changes something needs the token in the header: a cookie alone is what a
 *    cross-site form would send, so it is refused (403), as is a foreign Origin;
 *  - the Host must be the address it listens on (DNS rebinding), unless remote access was allowed.
 */

export const TOKEN_HEADER = 'x-daedalus-token';
export const TOKEN_COOKIE = 'daedalus_ui';

export const newToken = (): string => randomBytes(24).toString('base64url');

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (LOOPBACK_NAMES.has(host) || LOOPBACK_NAMES.has(h)) return true;
  return isIP(h) === 4 ? h.startsWith('127.') : h === '::ffff:127.0.0.1';
}

/** Refuses a non-loopback listen address unless remote access was asked for. */
export function checkListenHost(host: string, allowRemote: boolean): void {
  if (isLoopback(host) || allowRemote) return;
  throw new DaedalusError(
    'INVALID_INPUT',
    `--host ${host} is not a loopback address; the dashboard steers your agents, so it listens on this machine only`,
    'add --allow-remote to listen there anyway (every request still needs the token; traffic is plain HTTP)',
  );
}

function sameToken(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(header: string | undefined): string | null {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return v.join('=');
  }
  return null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

const problem = (code: string, message: string) => ({ error: { code, message } });

export interface GuardOptions {
  token: string;
  /** host:port values a request's Host may name; empty: any (remote access allowed). */
  hosts: () => string[];
}

export function guard(o: GuardOptions): MiddlewareHandler {
  return async (c, next) => {
    const hosts = o.hosts();
    const host = c.req.header('host') ?? '';
    if (hosts.length > 0 && !hosts.includes(host)) {
      return c.json(problem('FORBIDDEN', `this dashboard answers to ${hosts[0]}, not ${host || 'no host'}`), 403);
    }
    const header = c.req.header(TOKEN_HEADER);
    const query = c.req.query('token');
    const cookie = cookieToken(c.req.header('cookie'));
    const ok = sameToken(header, o.token) || sameToken(query, o.token) || sameToken(cookie, o.token);
    if (!ok) {
      return c.json(problem('UNAUTHORIZED', 'this dashboard needs its token: open the URL `daedalus ui` printed'), 401);
    }
    if (!SAFE_METHODS.has(c.req.method)) {
      // Cookies ride along with cross-site requests; a custom header cannot be set by another site.
      if (!sameToken(header, o.token)) return c.json(problem('FORBIDDEN', `changes need the token in the ${TOKEN_HEADER} header`), 403);
      const origin = c.req.header('origin');
      if (origin !== undefined && origin !== `http://${host}`) return c.json(problem('FORBIDDEN', `requests from ${origin} may not change anything here`), 403);
      if (c.req.header('sec-fetch-site') === 'cross-site') return c.json(problem('FORBIDDEN', 'cross-site requests may not change anything here'), 403);
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Cache-Control', 'no-store');
    // No inline script or style, nothing from elsewhere: an injected tag has nothing it may run.
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  };
}

/** The cookie the tokened URL sets, so the page's own requests (assets, the event stream) carry it. */
export const tokenCookie = (token: string) => `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
