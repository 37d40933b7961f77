import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Store } from '../bus/index.js';
import { DaedalusError, describeError, isDaedalusError } from '../common/index.js';
import { SystemSampler, type Sampler } from '../resources/index.js';
import { loadAssets } from './assets.js';
import type { UiContext } from './context.js';
import { EventHub } from './event-hub.js';
import { ResourceHistory } from './resource-history.js';
import { readRoutes } from './routes-read.js';
import { steerRoutes } from './routes-steer.js';
import { streamRoutes } from './routes-stream.js';
import { checkListenHost, guard, isLoopback, newToken, tokenCookie } from './security.js';

export interface DashboardOptions {
  store: Store;
  scope: string;
  home: string;
  /** `human:USER`: who the page's changes are recorded as. */
  user: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  allowRemote?: boolean;
  /** Tests give a known token; normally a fresh random one. */
  token?: string;
  sampler?: Sampler;
  sampleEveryMs?: number;
  now?: () => number;
  env?: Record<string, string>;
  warn?: (line: string) => void;
}

export interface Dashboard {
  /** The one URL to open: it carries the token. */
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const STATUS: Partial<Record<string, 400 | 403 | 404 | 409>> = {
  INVALID_INPUT: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  VERSION_CONFLICT: 409,
  LEASE_LOST: 409,
};

/** The app alone (no socket), for the server and for tests that call it directly. */
export function dashboardApp(ctx: UiContext, token: string, hosts: () => string[]): Hono {
  const app = new Hono();
  const assets = loadAssets();
  app.use('*', guard({ token, hosts }));
  app.onError((e, c) => {
    if (isDaedalusError(e)) {
      const d = e as DaedalusError;
      return c.json({ error: { code: d.code, message: d.message, ...(d.hint ? { hint: d.hint } : {}) } }, STATUS[d.code] ?? 500);
    }
    return c.json({ error: { code: 'INTERNAL', message: describeError(e) } }, 500);
  });
  readRoutes(app, ctx);
  steerRoutes(app, ctx);
  streamRoutes(app, ctx);
  const page = (name: string) => {
    const a = assets.get(name)!;
    return new Response(new Uint8Array(a.body), { headers: { 'content-type': a.type } });
  };
  app.get('/', (c) => {
    // The page reads the token for its POSTs from a meta tag; the cookie carries it on the rest.
    const html = assets.get('index.html')!.body.toString('utf8').replace('__DAEDALUS_TOKEN__', token);
    c.header('Set-Cookie', tokenCookie(token));
    return c.html(html);
  });
  app.get('/assets/app.js', () => page('app.js'));
  app.get('/assets/app.css', () => page('app.css'));
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no ${c.req.path} here` } }, 404));
  return app;
}

/** Starts the dashboard server: loopback only unless allowed, one URL with a fresh token. */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? '127.0.0.1';
  checkListenHost(host, o.allowRemote ?? false);
  const token = o.token ?? newToken();
  const warn = o.warn ?? (() => undefined);
  const hub = new EventHub(o.store, o.scope, warn);
  await hub.start();
  const resources = new ResourceHistory(o.sampler ?? new SystemSampler(), o.store, o.scope, o.sampleEveryMs ?? 3000, 600, warn);
  const ctx: UiContext = { store: o.store, scope: o.scope, home: o.home, user: o.user, hub, resources, now: o.now ?? Date.now, env: o.env ?? {} };
  let port = 0;
  const remote = (o.allowRemote ?? false) && !isLoopback(host);
  const hosts = () => (remote ? [] : [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host.includes(':') ? `[${host}]` : host}:${port}`]);
  const app = dashboardApp(ctx, token, hosts);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: o.port ?? 0 }, () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(new DaedalusError('INVALID_INPUT', `cannot listen on ${host}:${o.port ?? 0}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`, 'pick another --port, or leave it out for any free one')),
    );
  });
  port = (server.address() as AddressInfo).port;
  resources.start();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const origin = `http://${shownHost}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    async close() {
      resources.stop();
      await hub.close();
      await new Promise<void>((resolve) => {
        // Event streams stay open until their client goes; closing them is what lets the server stop.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}
