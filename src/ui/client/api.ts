/** Talking to the dashboard server: reads ride on the cookie, changes carry the token header. */

const token = (): string => document.querySelector<HTMLMetaElement>('meta[name="daedalus-token"]')?.content ?? '';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function answer<T>(r: Response): Promise<T> {
  const body = (await r.json().catch(() => ({}))) as { error?: { code: string; message: string; hint?: string } };
  if (!r.ok) {
    const e = body.error;
    throw new ApiError(r.status, e?.code ?? String(r.status), e ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : r.statusText);
  }
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }));
}

export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  return answer<T>(
    await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-daedalus-token': token() },
      body: JSON.stringify(body),
    }),
  );
}
