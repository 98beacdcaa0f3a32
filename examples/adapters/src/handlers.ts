/**
 * The handlers every adapter example mounts: an AI bot at /wecom/bot and a self-built-app
 * callback router at /wecom/callback, both answering passively (in the callback's own HTTP
 * response) with `echo: <text>`. Runtime-neutral (no `node:` imports): the fetch example runs on
 * Bun and Workers too. Configuration comes from environment variables (or Workers bindings).
 */
import { WeComBot } from '@maven/wecom-bot';
import { CallbackRouter } from '@maven/wecom-callback';
import { createConsoleLogger } from '@maven/wecom-core';

export interface ExampleEnv {
  [name: string]: string | undefined;
  /** AI bot (智能机器人): Token and EncodingAESKey of its API-mode settings. */
  WECOM_BOT_TOKEN?: string;
  WECOM_BOT_AES_KEY?: string;
  /** Self-built app (自建应用): CorpID, AgentId and the callback Token/EncodingAESKey. */
  WECOM_CORP_ID?: string;
  WECOM_AGENT_ID?: string;
  WECOM_APP_TOKEN?: string;
  WECOM_APP_AES_KEY?: string;
  /** Where to listen (Node and Bun). Default 127.0.0.1:3000. */
  HOST?: string;
  PORT?: string;
}

export interface ExampleHandlers {
  /** Present when WECOM_BOT_TOKEN is set. */
  bot: WeComBot | undefined;
  /** Present when WECOM_APP_TOKEN is set. */
  router: CallbackRouter | undefined;
  host: string;
  port: number;
  /** Closes whatever was created (drains in-flight replies). */
  close(): Promise<void>;
}

export function createHandlers(env: ExampleEnv): ExampleHandlers {
  const logger = createConsoleLogger({ level: 'warn', name: 'adapters' });
  let bot: WeComBot | undefined;
  let router: CallbackRouter | undefined;
  if (env.WECOM_BOT_TOKEN) {
    bot = new WeComBot({
      token: env.WECOM_BOT_TOKEN,
      encodingAESKey: env.WECOM_BOT_AES_KEY ?? '',
      path: '/wecom/bot',
      logger,
    });
    // Within the deadline, reply() goes back passively (a finished stream frame): no response_url needed.
    bot.on('text', (message, ctx) => ctx.reply(`echo: ${message.text}`));
  }
  if (env.WECOM_APP_TOKEN) {
    router = new CallbackRouter({
      app: {
        corpId: env.WECOM_CORP_ID ?? '',
        agentId: env.WECOM_AGENT_ID ?? '',
        token: env.WECOM_APP_TOKEN,
        encodingAESKey: env.WECOM_APP_AES_KEY ?? '',
      },
      path: '/wecom/callback',
      logger,
    });
    // A passive text reply in the callback response: no corpSecret, no access token needed.
    router.on('text', (message, ctx) => ctx.reply(`echo: ${message.content}`));
  }
  if (!bot && !router) {
    throw new Error(
      'set WECOM_BOT_TOKEN + WECOM_BOT_AES_KEY and/or WECOM_APP_TOKEN + WECOM_APP_AES_KEY + WECOM_CORP_ID + WECOM_AGENT_ID',
    );
  }
  return {
    bot,
    router,
    host: env.HOST || '127.0.0.1',
    port: Number(env.PORT || 3000),
    async close() {
      await Promise.all([bot?.close(), router?.close()]);
    },
  };
}
