/** Shared between the app under test and the driver: credentials, paths and message shapes. */
import { SET_B } from '../../packages/crypto/test/vectors.ts';

export const BOT_TOKEN = 'RuntimeMatrixToken';
/** Any valid 43-character EncodingAESKey; the official set-B key is a known-good one. */
export const BOT_KEY = SET_B.encodingAESKey;
export const BOT_ID = 'aibot-runtime-matrix';

/** The bot served through `toFetchHandler` (and, on Node, through `toNodeListener`). */
export const FETCH_PATH = '/wecom/bot';
/** The bot mounted in a Hono app with `wecomHono`. */
export const HONO_PATH = '/hono/wecom/bot';

/** Text that asks the app for an active reply through `response_url` instead of a passive stream. */
export const ACTIVE_PREFIX = 'active:';

export function streamContent(text: string, finished: boolean): string {
  return finished ? `echo: ${text} (done)` : `echo: ${text}`;
}

export function activeContent(text: string): string {
  return `active reply to ${text}`;
}

/** Text that makes the app finish the stream whose id follows (the app's own work completing). */
export const FINISH_PREFIX = 'finish:';

/** The self-built app served by a `CallbackRouter` beside the bot. */
export const APP = {
  corpId: 'ww_runtime_matrix',
  agentId: 1000002,
  token: 'RuntimeMatrixAppToken',
  /** The official set-A key (any valid key would do). */
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
} as const;
export const APP_FETCH_PATH = '/wecom/callback';
export const APP_HONO_PATH = '/hono/wecom/callback';

export function appReplyContent(text: string): string {
  return `you said: ${text}`;
}
