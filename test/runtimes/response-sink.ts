/**
 * WeCom's side of `response_url` as a fetch handler: records each POST by its response_code. Each
 * runtime serves it with its own server (Bun.serve, Deno.serve, node:http), on 127.0.0.1.
 */
export class ResponseUrlSink {
  readonly #received = new Map<string, string>();
  readonly #waiters = new Map<string, (body: string) => void>();

  readonly fetch = async (request: Request): Promise<Response> => {
    const code = new URL(request.url).searchParams.get('response_code') ?? '';
    const body = await request.text();
    const waiter = this.#waiters.get(code);
    if (waiter) {
      this.#waiters.delete(code);
      waiter(body);
    } else {
      this.#received.set(code, body);
    }
    return new Response(JSON.stringify({ errcode: 0, errmsg: 'ok' }), {
      headers: { 'content-type': 'application/json' },
    });
  };

  /** The body POSTed for `code`; rejects when nothing came within `timeoutMs` (a failure cap, not a measurement). */
  take(code: string, timeoutMs = 10_000): Promise<string> {
    const body = this.#received.get(code);
    if (body !== undefined) {
      this.#received.delete(code);
      return Promise.resolve(body);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(code);
        reject(new Error(`no POST to response_url ${code} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(code, (b) => {
        clearTimeout(timer);
        resolve(b);
      });
    });
  }
}
