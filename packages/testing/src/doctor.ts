/**
 * `wecom-sim doctor`: sends the URL-verification GET WeCom's console sends and explains why
 * 「回调地址请求不通过」 would be shown. The diagnosis is a pure function of what came back.
 */
import { buildAppVerification, buildBotVerification } from './builders.js';
import { explainRefusal, type RefusalCode, type Suspect } from './doctor-refusals.js';
import { HttpFailure, sendRequest, withSearch } from './http-client.js';

/** WeCom's answer limit for the verification GET (docs/protocol.md §2.1). */
export const WECOM_VERIFY_TIMEOUT_MS = 1000;

export type DiagnosisCode =
  | 'ok'
  | 'key_length'
  | 'key_alphabet'
  | 'invalid_url'
  | 'unreachable'
  | 'timeout'
  | RefusalCode
  | 'empty_body'
  | 'bom'
  | 'quoted'
  | 'whitespace'
  | 'ciphertext_echoed'
  | 'wrapped'
  | 'wrong_plaintext'
  | 'bad_reply';

export interface Diagnosis {
  ok: boolean;
  code: DiagnosisCode;
  /** One sentence: what is wrong. */
  message: string;
  /** What usually causes it / how to fix it. */
  hint?: string;
  /** The setting it points at (Token, EncodingAESKey, receiveId, path, body parser, proxy…). */
  suspect?: Suspect;
}

/** What one verification attempt produced; everything but `echo` is optional. */
export interface VerificationProbe {
  /** The plaintext hidden in echostr, i.e. the only correct answer. */
  echo: string;
  /** The echostr that was sent (to recognise an answer that echoes it undecrypted). */
  echostr?: string;
  /** Checked for format only; never printed. */
  encodingAESKey?: string;
  /** No HTTP answer. */
  error?: { kind: 'timeout' | 'unreachable' | 'invalid_url'; message: string };
  timeoutMs?: number;
  status?: number;
  contentType?: string;
  /** The raw answer (bytes keep a BOM visible). */
  body?: string | Uint8Array;
  /** Which webhook kind was probed (words the hints). Default `bot`. */
  mode?: 'bot' | 'app';
}

const BOM = '\uFEFF';

/** Format problems of an EncodingAESKey, without echoing it. */
export function checkEncodingAESKey(key: string): Diagnosis | undefined {
  if (key.length !== 43) {
    return {
      ok: false,
      code: 'key_length',
      message: `EncodingAESKey must be exactly 43 characters; this one has ${key.length}`,
      hint: 'copy it again from the WeCom console (随机获取 generates a valid one); watch for a lost or extra character or surrounding spaces',
    };
  }
  const bad = [...key].findIndex((c) => !/[A-Za-z0-9+/]/.test(c));
  if (bad >= 0) {
    return {
      ok: false,
      code: 'key_alphabet',
      message: `EncodingAESKey has a character outside the base64 alphabet at position ${bad + 1}`,
      hint: 'WeCom keys use only A-Z, a-z and 0-9; a quote, space, "=" or "-" usually came from copy/paste or a config file',
    };
  }
  return undefined;
}

function text(body: string | Uint8Array | undefined): string {
  if (body === undefined) return '';
  return typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
}

/** Explains a verification result the way a human would debug 「回调地址请求不通过」. */
export function diagnoseVerification(result: VerificationProbe): Diagnosis {
  if (result.encodingAESKey !== undefined) {
    const problem = checkEncodingAESKey(result.encodingAESKey);
    if (problem !== undefined) return problem;
  }
  if (result.error !== undefined) return transport(result);
  const status = result.status ?? 0;
  const body = text(result.body);
  const echo = result.echo;
  if (status === 200 && body === echo) {
    return {
      ok: true,
      code: 'ok',
      message: 'OK: the URL answered the verification exactly as WeCom expects',
    };
  }
  const refused = explainRefusal(status, body, result.contentType, {
    method: 'GET',
    mode: result.mode ?? 'bot',
  });
  if (refused !== undefined) return refused;
  if (body.length === 0) {
    return {
      ok: false,
      code: 'empty_body',
      message: 'HTTP 200 with an empty body',
      hint: 'the GET handler must decrypt echostr and write the plaintext; it seems to only acknowledge (a POST-only handler or a middleware answering GET?)',
    };
  }
  if (body.startsWith(BOM)) {
    return {
      ok: false,
      code: 'bom',
      message: 'the answer starts with a UTF-8 BOM (EF BB BF)',
      hint: 'WeCom requires the bare plaintext 「不能带bom头」; write the string without a BOM (check the encoding of the response writer/template)',
    };
  }
  const trimmed = body.trim();
  if (/^(["'])[\s\S]*\1$/.test(trimmed) && trimmed.slice(1, -1) === echo) {
    return {
      ok: false,
      code: 'quoted',
      message: 'the plaintext is wrapped in quotes',
      hint: 'WeCom requires it 「不能加引号」: answer text/plain, not JSON (e.g. res.send(plain), not res.json(plain))',
    };
  }
  if (trimmed === echo) {
    return {
      ok: false,
      code: 'whitespace',
      message: /[\r\n]$/.test(body)
        ? 'the plaintext is followed by a newline'
        : 'the plaintext has surrounding whitespace',
      hint: 'WeCom requires it 「不能带换行符」: do not use println/echo-with-newline or a template that adds one',
    };
  }
  if (result.echostr !== undefined && trimmed === result.echostr) {
    return {
      ok: false,
      code: 'ciphertext_echoed',
      message: 'the server returned echostr as received, without decrypting it',
      hint: 'since 2019 WeCom encrypts echostr: verify msg_signature, decrypt echostr with the EncodingAESKey, answer the plaintext',
    };
  }
  if (body.includes(echo)) {
    return {
      ok: false,
      code: 'wrapped',
      message: 'the plaintext is there but wrapped in other text (JSON, HTML or a prefix/suffix)',
      hint: 'answer exactly the decrypted plaintext as the whole body',
    };
  }
  return {
    ok: false,
    code: 'wrong_plaintext',
    message: 'HTTP 200, but the body is not the decrypted echostr',
    hint: 'usually the server uses another EncodingAESKey (it decrypted to something else) or answers a fixed string such as "success"',
  };
}

function transport(result: VerificationProbe): Diagnosis {
  const error = result.error!;
  if (error.kind === 'invalid_url') {
    return {
      ok: false,
      code: 'invalid_url',
      message: `the URL is not usable: ${error.message}`,
      hint: 'WeCom needs an http:// or https:// URL',
    };
  }
  if (error.kind === 'timeout') {
    return {
      ok: false,
      code: 'timeout',
      message: `no answer within ${result.timeoutMs ?? WECOM_VERIFY_TIMEOUT_MS} ms (WeCom waits at most 1 s)`,
      hint: 'answer the GET before doing any slow work (no cold start, database or model call in the verification path); check firewalls that drop instead of refusing',
    };
  }
  return {
    ok: false,
    code: 'unreachable',
    message: `the URL cannot be reached: ${error.message}`,
    hint: 'check host, port and TLS; WeCom calls from the internet, so a localhost or private address must be exposed through a public domain',
  };
}

export interface ProbeOptions {
  url: string;
  token: string;
  encodingAESKey: string;
  mode: 'bot' | 'app';
  /** Required in app mode (receiveId). */
  corpId?: string;
  /** Default 1000 (WeCom's limit). */
  timeoutMs?: number;
}

/** Sends one verification GET and collects what came back (never throws for transport errors). */
export async function probeVerification(options: ProbeOptions): Promise<VerificationProbe> {
  const keyProblem = checkEncodingAESKey(options.encodingAESKey);
  const timeoutMs = options.timeoutMs ?? WECOM_VERIFY_TIMEOUT_MS;
  if (keyProblem !== undefined) return { echo: '', encodingAESKey: options.encodingAESKey, timeoutMs };
  const request =
    options.mode === 'app'
      ? buildAppVerification({
          token: options.token,
          encodingAESKey: options.encodingAESKey,
          corpId: options.corpId ?? '',
        })
      : buildBotVerification({ token: options.token, encodingAESKey: options.encodingAESKey });
  const probe: VerificationProbe = {
    echo: request.echo,
    echostr: request.echostr,
    encodingAESKey: options.encodingAESKey,
    timeoutMs,
    mode: options.mode,
  };
  let target: string;
  try {
    target = withSearch(options.url, request.search);
  } catch {
    return { ...probe, error: { kind: 'invalid_url', message: 'not a valid URL' } };
  }
  try {
    const res = await sendRequest(target, { timeoutMs });
    probe.status = res.status;
    probe.body = res.bytes;
    const contentType = res.headers['content-type'];
    if (contentType !== undefined) probe.contentType = contentType;
  } catch (error) {
    if (!(error instanceof HttpFailure)) throw error;
    probe.error = { kind: error.kind, message: error.message };
  }
  return probe;
}
