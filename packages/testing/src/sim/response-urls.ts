/**
 * AI-bot response_url endpoints (docs/protocol.md §2.7): single use, one hour, markdown ≤ 20480 UTF-8
 * bytes or template_card (single chats only). Error codes for this endpoint are undocumented; the
 * ones used here are listed in ERRCODES and the README as simulated.
 */
import { randomCode } from '../random.js';
import { type ErrorBody, errorBody } from './errcodes.js';

export const RESPONSE_URL_TTL_MS = 60 * 60 * 1000;
export const MARKDOWN_MAX_BYTES = 20480;

export interface ResponseUrlOptions {
  /** `single` (default) or `group`; template_card replies are refused in groups. */
  chattype?: 'single' | 'group';
  /** Lifetime. Default one hour. */
  ttlMs?: number;
}

export interface ReceivedResponse {
  code: string;
  /** The parsed JSON body (or raw text if it was not JSON). */
  body: unknown;
  at: number;
  /** What the simulator answered. */
  result: ErrorBody;
}

interface Entry {
  code: string;
  chattype: 'single' | 'group';
  expiresAt: number;
  used: boolean;
}

export class ResponseUrlRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #received: ReceivedResponse[] = [];

  constructor(private readonly now: () => number) {}

  create(options: ResponseUrlOptions = {}): string {
    const code = randomCode(24);
    this.#entries.set(code, {
      code,
      chattype: options.chattype ?? 'single',
      expiresAt: this.now() + (options.ttlMs ?? RESPONSE_URL_TTL_MS),
      used: false,
    });
    return code;
  }

  /** Handles one POST; successful posts consume the code. */
  receive(code: string | undefined, body: unknown): ErrorBody {
    const result = this.#evaluate(code, body);
    if (code !== undefined && this.#entries.has(code)) {
      this.#received.push({ code, body, at: this.now(), result });
    }
    return result;
  }

  #evaluate(code: string | undefined, body: unknown): ErrorBody {
    const entry = code === undefined ? undefined : this.#entries.get(code);
    if (entry === undefined) return errorBody('invalidParameter', 'unknown response_code');
    if (entry.used) return errorBody('codeUsed');
    if (this.now() >= entry.expiresAt)
      return errorBody('invalidParameter', 'response_url expired (simulated)');
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return errorBody('badFormat');
    const record = body as Record<string, unknown>;
    if (record.msgtype === 'markdown') {
      const markdown = record.markdown as { content?: unknown } | undefined;
      const content = markdown?.content;
      if (typeof content !== 'string' || content.length === 0) return errorBody('emptyContent');
      if (Buffer.byteLength(content, 'utf8') > MARKDOWN_MAX_BYTES) return errorBody('contentTooLarge');
    } else if (record.msgtype === 'template_card') {
      const card = record.template_card;
      if (card === null || typeof card !== 'object')
        return errorBody('invalidParameter', 'template_card missing');
      if (entry.chattype === 'group') {
        return errorBody('invalidParameter', 'template_card replies are for single chats only');
      }
    } else {
      return errorBody('invalidMsgType');
    }
    entry.used = true;
    return errorBody('ok');
  }

  received(code?: string): ReceivedResponse[] {
    return code === undefined ? [...this.#received] : this.#received.filter((r) => r.code === code);
  }

  isUsed(code: string): boolean {
    return this.#entries.get(code)?.used ?? false;
  }
}
