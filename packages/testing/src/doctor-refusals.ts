/**
 * What a refused answer says, for both doctor checks (the verification GET and the callback POST).
 * The SDK answers a refusal with its stable error code as the whole body (`signature_mismatch`,
 * `receive_id_mismatch`, `body_already_parsed`, …), so that code names the setting that is wrong;
 * other servers are judged by status and content type.
 */

/** The setting a failed check points at. */
export type Suspect =
  | 'token'
  | 'encoding_aes_key'
  | 'receive_id'
  | 'path'
  | 'body_parser'
  | 'reverse_proxy'
  | 'mode'
  | 'clock'
  | 'server'
  | 'network'
  | 'reply';

export type RefusalCode =
  | 'rejected'
  | 'http_status'
  | 'html'
  | 'not_found'
  | 'method_not_allowed'
  | 'token_mismatch'
  | 'key_mismatch'
  | 'receive_id_mismatch'
  | 'no_matching_app'
  | 'clock_skew'
  | 'body_parser'
  | 'body_unreadable'
  | 'query_lost'
  | 'server_error';

export interface Refusal {
  ok: false;
  code: RefusalCode;
  message: string;
  hint?: string;
  suspect?: Suspect;
}

export interface RefusalContext {
  /** `GET` for the URL verification, `POST` for a callback. */
  method: 'GET' | 'POST';
  mode: 'bot' | 'app';
  /** Whether the verification GET passed (narrows a POST's `no_matching_app`). */
  verified?: boolean;
}

/** The SDK's refusal body: one snake_case word (anything else is some other server's text). */
export function refusalCodeOf(body: string): string | undefined {
  const word = body.trim();
  return /^[a-z][a-z0-9_]{2,40}$/.test(word) ? word : undefined;
}

/** An HTML page, by its content type or its first tag (an app's XML reply starts with `<xml>`). */
export function isHtml(contentType: string | undefined, body: string): boolean {
  if (/text\/html/i.test(contentType ?? '')) return true;
  const start = body.replace(/^\uFEFF/, '').trimStart();
  return start.startsWith('<') && !/^<(\?xml|xml[\s>])/.test(start);
}

const RECEIVE_ID = {
  bot: 'the bot expects a receiveId in the frame other than the empty one WeCom uses for AI bots (drop its receiveId option, or pass --receive-id)',
  app: 'the CorpID the server decrypts with differs from --corp-id: it must be the corp of the app (我的企业 → 企业ID), the receiveId inside every frame',
};

/** The explanation of an SDK error code found in a refusal body, if it is one we know. */
function fromCode(code: string, status: number, context: RefusalContext): Refusal | undefined {
  const said = `HTTP ${status} ${code}`;
  switch (code) {
    case 'signature_mismatch':
      return {
        ok: false,
        code: 'token_mismatch',
        suspect: 'token',
        message: `the server refused the signature (${said}): its Token differs from this one`,
        hint: 'copy the Token again from the console page of this bot/app (each has its own), and check the server reads it without surrounding spaces or quotes',
      };
    case 'no_matching_app':
    case 'forbidden':
      if (context.method === 'POST' && context.verified === true) {
        return {
          ok: false,
          code: 'no_matching_app',
          suspect: 'receive_id',
          message: `the server found no configured app for this callback (${said}), though the URL verification passed`,
          hint: 'the Token matches, so the CorpID (ToUserName) or AgentID of the message is not one the server configures: check corpId and agentId of the app',
        };
      }
      return {
        ok: false,
        code: 'no_matching_app',
        suspect: 'token',
        message: `no app configured on the server accepts this ${context.method === 'GET' ? 'verification' : 'callback'} (${said})`,
        hint: 'the Token (most often), the EncodingAESKey or the CorpID configured on the server differ from the ones given here: compare them with the console page of this app',
      };
    case 'invalid_buffer':
    case 'decrypt_failed':
      return {
        ok: false,
        code: 'key_mismatch',
        suspect: 'encoding_aes_key',
        message: `the signature matched but the server could not decrypt (${said}): its EncodingAESKey differs from this one`,
        hint: 'copy the EncodingAESKey again from the console (43 characters); a key regenerated in the console (随机获取) must be deployed to the server too',
      };
    case 'receive_id_mismatch':
      return {
        ok: false,
        code: 'receive_id_mismatch',
        suspect: 'receive_id',
        message: `the server decrypted the message but refused its receiveId (${said})`,
        hint: RECEIVE_ID[context.mode],
      };
    case 'timestamp_out_of_window':
      return {
        ok: false,
        code: 'clock_skew',
        suspect: 'clock',
        message: `the server refused the timestamp (${said})`,
        hint: "the server's clock is off by more than its timestampWindow (default 300 s): run NTP on it",
      };
    case 'body_already_parsed':
      return {
        ok: false,
        code: 'body_parser',
        suspect: 'body_parser',
        message: `a body parser read the request before the SDK and left nothing it can verify (${said})`,
        hint: 'mount the WeCom handler before body parsers (express.json(), express.urlencoded(), koa-bodyparser…) or keep the raw body (req.rawBody); the server log has the exact advice for its framework',
      };
    case 'decode_base64_failed':
    case 'parse_failed':
      return {
        ok: false,
        code: 'body_unreadable',
        suspect: context.method === 'POST' ? 'mode' : 'reverse_proxy',
        message: `the server could not read the envelope (${said})`,
        hint:
          context.mode === 'bot'
            ? 'is this an app URL? AI bots post JSON {"encrypt"}, apps post XML (use --mode app); else a proxy or body parser rewrote the body'
            : 'is this an AI bot URL? apps post XML <Encrypt>, bots post JSON (use --mode bot); else a proxy or body parser rewrote the body',
      };
    case 'missing_parameter':
      return {
        ok: false,
        code: 'query_lost',
        suspect: 'reverse_proxy',
        message: `the server saw no msg_signature/timestamp/nonce (${said})`,
        hint: 'a reverse proxy or rewrite rule drops the query string: forward $request_uri (nginx) or the full URL',
      };
    case 'not_found':
      return notFound(status, context);
    case 'method_not_allowed':
      return methodNotAllowed(status, context);
    case 'internal_error':
      return {
        ok: false,
        code: 'server_error',
        suspect: 'server',
        message: `the server failed while handling the ${context.method} (${said})`,
        hint: 'see its log: a listener or the Store threw, or its configuration is incomplete',
      };
    default:
      return undefined;
  }
}

function notFound(status: number, context: RefusalContext): Refusal {
  return {
    ok: false,
    code: 'not_found',
    suspect: 'path',
    message: `HTTP ${status}: nothing answers ${context.method} at this path`,
    hint: 'the path of the URL differs from the one the handler is mounted at (its `path` option, a router prefix, a trailing slash), or a proxy routes it elsewhere',
  };
}

function methodNotAllowed(status: number, context: RefusalContext): Refusal {
  return {
    ok: false,
    code: 'method_not_allowed',
    suspect: 'path',
    message: `HTTP ${status}: this path does not accept ${context.method}`,
    hint:
      context.method === 'GET'
        ? 'the route accepts only POST: WeCom verifies the URL with a GET (route both to the handler)'
        : 'the route accepts only GET: WeCom posts every callback (route both methods to the handler)',
  };
}

/**
 * The diagnosis of an answer that is not what WeCom expects, from its status, body and content
 * type. Order matters: a known SDK code first, then 404 (frameworks answer it with an HTML page),
 * then HTML (a proxy, WAF or login page), then the status.
 */
export function explainRefusal(
  status: number,
  body: string,
  contentType: string | undefined,
  context: RefusalContext,
): Refusal | undefined {
  const word = refusalCodeOf(body);
  const known = word === undefined || status === 200 ? undefined : fromCode(word, status, context);
  if (known !== undefined) return known;
  if (status === 404) return notFound(status, context);
  if (status === 405) return methodNotAllowed(status, context);
  // Express' error page for a parser that choked on the body (express.json() given XML).
  if (status === 400 && /SyntaxError|entity\.parse\.failed|body-parser/.test(body)) {
    return {
      ok: false,
      code: 'body_parser',
      suspect: 'body_parser',
      message: `a body parser in front of the webhook failed to parse the ${context.mode === 'app' ? 'XML' : 'JSON'} body (HTTP 400 error page)`,
      hint: 'a parser mounted for every content type (e.g. express.json({ type: "*/*" })) got a body it cannot read: mount the WeCom handler before it, or limit the parser to its own routes and types',
    };
  }
  if (isHtml(contentType, body)) {
    return {
      ok: false,
      code: 'html',
      suspect: 'reverse_proxy',
      message: `the answer is an HTML page (HTTP ${status}${contentType ? `, ${contentType.split(';')[0]}` : ''})`,
      hint: 'a reverse proxy, gateway error page, WAF or login/SSO page answered instead of the webhook; check the proxy routes this path to the app without authentication',
    };
  }
  if (status === 200) return undefined;
  if (status === 400 || status === 401 || status === 403) {
    return {
      ok: false,
      code: 'rejected',
      suspect: 'token',
      message: `the server refused the ${context.method === 'GET' ? 'verification' : 'callback'} (HTTP ${status})`,
      hint: 'its own signature or decryption check failed: the Token or EncodingAESKey configured on the server differ from the ones given here (or from the console), or the CorpID/receiveId is wrong',
    };
  }
  let hint: string | undefined;
  if (status >= 300 && status < 400)
    hint = 'WeCom does not follow redirects: configure the final URL (https, trailing slash)';
  else if (status === 502 || status === 503 || status === 504)
    hint = 'a proxy or load balancer in front of the webhook could not reach it, or it is overloaded';
  else if (status >= 500) hint = `the server failed while handling the ${context.method}: check its logs`;
  else if (status >= 200 && status < 300) hint = 'WeCom accepts only HTTP 200';
  return {
    ok: false,
    code: 'http_status',
    ...(status >= 500 ? { suspect: 'server' as const } : {}),
    message: `HTTP ${status} instead of 200`,
    ...(hint === undefined ? {} : { hint }),
  };
}
