import { describe, expect, it } from 'vitest';
import { checkListenHost, isLoopback } from '../../src/ui/index.js';
import { useUiWorld } from './helpers.js';

describe('the dashboard server guards every request', () => {
  const w = useUiWorld();

  it('answers 401 to every request without the token: page, assets, API and event stream', async () => {
    const d = await w.start();
    for (const path of ['/', '/assets/app.js', '/assets/app.css', '/api/overview', '/api/runs', '/api/stream', '/api/approvals', '/nope']) {
      const r = await fetch(`${d.origin}${path}`);
      expect(r.status, path).toBe(401);
      expect(await r.text()).not.toContain('<html');
    }
    // One character off (never the character it already has: that would be the token itself).
    const last = d.token.slice(-1) === 'x' ? 'y' : 'x';
    const wrong = await fetch(`${d.origin}/api/overview?token=${d.token.slice(0, -1)}${last}`);
    expect(wrong.status).toBe(401);
  });

  it('the printed URL opens the page and sets an HttpOnly, same-site cookie that the page\'s own reads use', async () => {
    const d = await w.start();
    expect(d.url).toBe(`${d.origin}/?token=${d.token}`);
    expect(d.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(d.url);
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain(`<meta name="daedalus-token" content="${d.token}"`);
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    const cookie = r.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const reads = await fetch(`${d.origin}/api/overview`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(reads.status).toBe(200);
    expect(await reads.json()).toMatchObject({ scope: w.scope, user: 'human:tester' });
  });

  it('refuses a change carried by the cookie alone, or from another Origin or site, with 403, and changes nothing', async () => {
    const d = await w.start();
    const t = await w.store.createTask(w.scope, { title: 'keep me' });
    const cookie = `daedalus_ui=${d.token}`;
    const cancel = (headers: Record<string, string>) => fetch(`${d.origin}/api/tasks/${t.id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    expect((await cancel({ cookie })).status).toBe(403);
    expect((await fetch(`${d.origin}/api/tasks/${t.id}/cancel?token=${d.token}`, { method: 'POST', body: '{}' })).status).toBe(403);
    expect((await cancel({ cookie, 'x-daedalus-token': d.token, origin: 'http://evil.example' })).status).toBe(403);
    expect((await cancel({ 'x-daedalus-token': d.token, origin: `http://localhost:${d.port + 1}` })).status).toBe(403);
    expect((await cancel({ 'x-daedalus-token': d.token, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await w.store.getTask(t.id))?.state).toBe('ready');

    const ok = await cancel({ 'x-daedalus-token': d.token, origin: d.origin });
    expect(ok.status).toBe(200);
    expect(await w.store.getTask(t.id)).toMatchObject({ state: 'cancelled', error: 'cancelled by human:tester from the dashboard' });
  });

  it('answers only to its own host name (a DNS-rebound name is refused even with the token)', async () => {
    const d = await w.start();
    const { request } = await import('node:http');
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: d.port, path: `/api/overview?token=${d.token}`, headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status(`attacker.example:${d.port}`)).toBe(403);
    expect(await status(`localhost:${d.port}`)).toBe(200);
    expect(await status(`127.0.0.1:${d.port}`)).toBe(200);
  });

  it('listens on loopback only, unless remote access is asked for', async () => {
    expect(isLoopback('127.0.0.1') && isLoopback('localhost') && isLoopback('::1') && isLoopback('127.0.0.2')).toBe(true);
    expect(isLoopback('0.0.0.0') || isLoopback('192.168.1.5') || isLoopback('example.com')).toBe(false);
    expect(() => checkListenHost('0.0.0.0', false)).toThrow(/not a loopback address[\s\S]*/);
    await expect(w.start({ host: '0.0.0.0' })).rejects.toMatchObject({ code: 'INVALID_INPUT', hint: expect.stringContaining('--allow-remote') });
    // Allowed, it still wants the token from everyone.
    const d = await w.start({ host: '0.0.0.0', allowRemote: true });
    expect((await fetch(`http://127.0.0.1:${d.port}/api/overview`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${d.port}/api/overview?token=${d.token}`)).status).toBe(200);
  });

  it('bad steering input is a clear 4xx with the field named, never a stack trace', async () => {
    const d = await w.start();
    const post = (path: string, body: string) => fetch(`${d.origin}${path}`, { method: 'POST', headers: { 'x-daedalus-token': d.token, 'content-type': 'application/json' }, body });
    const notJson = await post('/api/messages', '{nope');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: { code: 'INVALID_INPUT', message: 'the request body is not JSON', hint: 'send a JSON object' } });
    expect(await (await post('/api/messages', '{"to":"*"}')).json()).toMatchObject({ error: { code: 'INVALID_INPUT', message: 'body is required' } });
    expect((await post('/api/messages', '{"to":"inst-nope","body":"hi"}')).status).toBe(404);
    expect((await post('/api/tasks/nope/retry', '{}')).status).toBe(404);
    expect(await (await post('/api/approvals/ap-x', '{"decision":"maybe"}')).json()).toMatchObject({ error: { message: 'decision must be allow or deny, got "maybe"' } });
    const t = await w.store.createTask(w.scope, { title: 'x' });
    const retry = await post(`/api/tasks/${t.id}/retry`, '{}');
    expect(retry.status).toBe(409);
    expect((await retry.json()).error.code).toBe('INVALID_STATE');
    // A task of another scope is not reachable from here.
    const other = await w.store.createTask('/somewhere/else', { title: 'not yours' });
    expect((await fetch(`${d.origin}/api/tasks/${other.id}?token=${d.token}`)).status).toBe(404);
  });

  it('an output path that would leave the runs folder is never read', async () => {
    const d = await w.start();
    const t = await w.store.createTask(w.scope, { title: 'x', runId: '..', key: '../../etc', id: 'sneaky' });
    const r = await fetch(`${d.origin}/api/tasks/${t.id}/output?attempt=1&token=${d.token}`);
    expect(await r.json()).toEqual({ attempt: 1, size: 0, text: '', exists: false });
  });
});
