// The console's URL check, from code: why would 「回调地址请求不通过」 appear for this URL?
import { diagnoseVerification, probeVerification } from '@maven/wecom-testing';

const probe = await probeVerification({
  url: 'https://bot.example.com/wecom/bot',
  token: process.env.WECOM_BOT_TOKEN!,
  encodingAESKey: process.env.WECOM_BOT_AES_KEY!,
  mode: 'bot', // 'app' for self-built apps (then corpId is needed)
});
const diagnosis = diagnoseVerification(probe);
console.log(diagnosis.code, diagnosis.message); // 'ok', 'html', 'rejected', 'quoted', 'timeout', …
