// Answering inside the callback's HTTP response (passive, encrypted XML) — no access token needed.
import { CallbackRouter, Reply } from '@maven/wecom-callback';

const router = new CallbackRouter({
  app: {
    corpId: 'ww_corp_a',
    agentId: 1000002,
    token: process.env.WECOM_TOKEN!,
    encodingAESKey: process.env.WECOM_ENCODING_AES_KEY!,
  },
});

router.on('text', (message, ctx) => ctx.reply(`echo: ${message.content}`)); // within 4 s: passive
router.on('event.click', (event, ctx) => ctx.reply(Reply.news([{ title: `menu ${event.eventKey}` }])));
router.on('reply.failed', (info) => console.warn('reply failed', info.app, info.kind, info.error));
