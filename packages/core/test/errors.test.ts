import { describe, expect, it } from 'vitest';
import {
  isWeComError,
  pathOf,
  redact,
  registerSecret,
  WeComApiError,
  WeComConfigError,
  WeComCryptoError,
  WeComError,
  WeComHttpError,
  WeComNetworkError,
  WeComRequestError,
  WeComTimeoutError,
} from '../src/index.js';

describe('error family', () => {
  it('request errors carry stable codes and HTTP statuses', () => {
    const expected: Record<string, number> = {
      missing_parameter: 400,
      bad_request: 400,
      body_too_large: 413,
      method_not_allowed: 405,
      not_found: 404,
      forbidden: 403,
      no_matching_app: 401,
      ambiguous_app: 400,
      body_already_parsed: 500,
      replayed_request: 401,
      request_timeout: 408,
      overloaded: 503,
    };
    for (const [code, status] of Object.entries(expected)) {
      const error = new WeComRequestError(code as never, 'x');
      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
      expect(error.name).toBe('WeComRequestError');
      expect(error).toBeInstanceOf(WeComError);
      expect(isWeComError(error)).toBe(true);
    }
    expect(new WeComRequestError('bad_request', 'slow', { status: 408 }).status).toBe(408);
  });

  it('subclasses have their codes, statuses and fields', () => {
    const api = new WeComApiError(44004, 'empty content', '/cgi-bin/webhook/send');
    expect([api.code, api.status, api.errcode, api.errmsg, api.path]).toEqual([
      'api_error',
      502,
      44004,
      'empty content',
      '/cgi-bin/webhook/send',
    ]);
    expect(api.message).toBe('WeCom API /cgi-bin/webhook/send failed: errcode 44004 empty content');
    const http = new WeComHttpError(503, '/x', 'busy');
    expect([http.code, http.status, http.httpStatus, http.message]).toEqual([
      'http_error',
      502,
      503,
      'HTTP 503 from /x: busy',
    ]);
    const net = new WeComNetworkError('/x', true);
    expect([net.code, net.status, net.maybeDelivered]).toEqual(['network_error', 502, true]);
    expect(net.message).toContain('may have been delivered');
    expect(new WeComNetworkError('/x', false).message).not.toContain('delivered');
    const timeout = new WeComTimeoutError('/x', 250);
    expect([timeout.code, timeout.status, timeout.maybeDelivered]).toEqual(['timeout', 504, true]);
    expect(timeout.message).toBe('timed out after 250 ms calling /x');
    const config = new WeComConfigError('bad');
    expect([config.code, config.status, config.name]).toEqual(['invalid_config', 500, 'WeComConfigError']);
    const cause = new Error('inner');
    expect(new WeComNetworkError('/x', false, { cause }).cause).toBe(cause);
  });

  it('isWeComError recognises the brand across copies of the package, and nothing else', () => {
    // Another copy of the package (dual ESM/CJS install) has its own class but the same global brand.
    const foreign = Object.defineProperty(new Error('x'), Symbol.for('@maven/wecom.error'), { value: true });
    expect(isWeComError(foreign)).toBe(true);
    expect(foreign instanceof WeComError).toBe(false);
    expect(isWeComError(new WeComCryptoError('signature_mismatch', 'x'))).toBe(true);
    expect(isWeComError(new Error('x'))).toBe(false);
    expect(isWeComError({ code: 'api_error', status: 502 })).toBe(false);
    expect(isWeComError(null)).toBe(false);
    expect(isWeComError('api_error')).toBe(false);
  });
});

describe('redact', () => {
  it('removes secret query parameters wherever they are in a URL or a text', () => {
    const url = 'https://qyapi.weixin.qq.com/cgi-bin/message/send?debug=1&access_token=TOKEN123456&x=2#frag';
    expect(redact(url)).toBe(
      'https://qyapi.weixin.qq.com/cgi-bin/message/send?debug=1&access_token=[redacted]&x=2#frag',
    );
    expect(redact('GET /cgi-bin/gettoken?corpid=ww1&corpsecret=S3CR3T-value')).toBe(
      'GET /cgi-bin/gettoken?corpid=ww1&corpsecret=[redacted]',
    );
    expect(redact('https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=RC-abc')).toBe(
      'https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=[redacted]',
    );
    expect(redact('webhook/send?key=693a91f6-7xxx')).toBe('webhook/send?key=[redacted]');
    expect(redact('ACCESS_TOKEN=abc "x"')).toBe('ACCESS_TOKEN=[redacted] "x"');
    // A parameter that merely ends in a secret name is left alone.
    expect(redact('?monkey=banana&turnkey=1')).toBe('?monkey=banana&turnkey=1');
  });

  it('removes secret values in JSON text', () => {
    expect(redact('{"access_token":"abc\\"def","expires_in":7200}')).toBe(
      '{"access_token":"[redacted]","expires_in":7200}',
    );
    expect(redact('{"errcode":0, "corpsecret" : "s"}')).toBe('{"errcode":0, "corpsecret" : "[redacted]"}');
  });

  it('removes registered secrets, raw and URL-encoded, longest first', () => {
    registerSecret('kWxPQ/abc+def'); // base64-ish, as an EncodingAESKey
    registerSecret('short'); // under 6 characters: not registered
    registerSecret(undefined);
    registerSecret(null);
    expect(redact('key kWxPQ/abc+def in text')).toBe('key [redacted] in text');
    expect(redact('q=kWxPQ%2Fabc%2Bdef')).toBe('q=[redacted]');
    expect(redact('a short word')).toBe('a short word');
    registerSecret('secretAB');
    registerSecret('secretABCDEF');
    expect(redact('x secretABCDEF y')).toBe('x [redacted] y');
    expect(redact(12345 as unknown as string)).toBe('12345');
  });

  it('keeps the newest 10,000 registered values: the oldest goes first, the rest stay redacted', () => {
    registerSecret('oldest-secret-0001');
    expect(redact('oldest-secret-0001')).toBe('[redacted]');
    for (let i = 0; i < 10_000; i++) registerSecret(`bulk-secret-${i}`);
    expect(redact('oldest-secret-0001')).toBe('oldest-secret-0001');
    expect(redact('bulk-secret-9999 bulk-secret-5000')).toBe('[redacted] [redacted]');
  });

  it('pathOf drops query and fragment, and redacts what is left', () => {
    expect(pathOf('https://h/cgi-bin/x?access_token=t#f')).toBe('/cgi-bin/x');
    expect(pathOf('/cgi-bin/y?corpsecret=s')).toBe('/cgi-bin/y');
    registerSecret('PATHSECRET99');
    expect(pathOf('https://h/hook/PATHSECRET99?x=1')).toBe('/hook/[redacted]');
  });

  it('error messages and paths never carry a registered secret or a token from a URL', () => {
    registerSecret('tok-ABCDEFG-123');
    const url = 'https://qyapi.weixin.qq.com/cgi-bin/message/send?access_token=tok-ABCDEFG-123';
    const errors = [
      new WeComApiError(40014, 'invalid access_token tok-ABCDEFG-123, hint: [x]', url),
      new WeComApiError(40014, `see ${url}`, '/p'),
      new WeComHttpError(500, url, `upstream said ${url}`),
      new WeComNetworkError(url, true),
      new WeComTimeoutError(url, 10),
    ];
    for (const error of errors) {
      expect(error.message).not.toContain('tok-ABCDEFG-123');
      expect(String((error as { path?: string }).path)).not.toContain('tok-ABCDEFG-123');
      expect(error.message).toContain('/cgi-bin/message/send');
    }
    expect(errors[0]!.message).toContain('[redacted]');
    expect((errors[0] as WeComApiError).errmsg).not.toContain('tok-ABCDEFG-123');
  });
});
