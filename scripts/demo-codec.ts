import { WeComCrypto } from '@maven/wecom-crypto';

const crypto = new WeComCrypto({
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  receiveId: '',
});
const message = JSON.stringify({ msgtype: 'text', text: { content: '你好, WeCom' } });
const body = await crypto.encryptReply(message, { format: 'json', nonce: '1372623149' });
console.log('encrypted envelope:', body);
const { encrypt, msgsignature, timestamp, nonce } = JSON.parse(body);
const out = await crypto.decryptCallback({
  signature: msgsignature,
  timestamp: String(timestamp),
  nonce,
  body: JSON.stringify({ encrypt }),
  format: 'json',
});
console.log('decrypted message:', out.message);
if (out.message !== message) process.exit(1);
