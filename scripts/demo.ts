/**
 * The demo behind `pnpm demo`: starts the simulated WeCom and two examples/maven-bot processes
 * (markdown replies through response_url, and `--stream`) on 127.0.0.1 with the built-in memory
 * store, then plays what WeCom and a user would do — URL verification, a welcome, a text, a
 * streamed reply and an image — and prints the conversation as the user would see it.
 * No account, no network. Exit code 0 when every step checked out, 1 otherwise.
 */

import {
  type BotDriver,
  botImage,
  botStreamRefresh,
  botText,
  startWeComSimulator,
  type WeComSimulator,
} from '@maven/wecom-testing';
import { type StartedExample, startExample } from '../examples/test-support/child.js';
import { PNG_1X1, randomEncodingAESKey, tempDir } from '../examples/test-support/fixtures.js';

const ENTRY = 'examples/maven-bot/src/main.ts';
const TOKEN = 'demoToken';
const KEY = randomEncodingAESKey();

function say(who: 'user' | 'bot', text: string, note = ''): void {
  const lines = text.split('\n');
  const label = who === 'user' ? 'user ›' : 'bot  ›';
  lines.forEach((line, i) => {
    const head = i === 0 ? label : '      ';
    console.log(`${head} ${line}${i === lines.length - 1 && note ? `   (${note})` : ''}`);
  });
}

function section(title: string): void {
  console.log(`\n── ${title}`);
}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`demo check failed: ${what}`);
}

async function streamLive(
  bot: BotDriver,
  url: string,
  streamId: string,
  first: string,
): Promise<{ content: string; polls: number }> {
  let shown = first;
  if (first) console.log(`bot  ▸ ${first}`);
  for (let polls = 1; polls <= 200; polls++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const res = await bot.send(url, botStreamRefresh(streamId), { redeliver: false });
    const stream = res.reply?.stream;
    check(stream?.id === streamId, 'every refresh is answered with the same stream');
    const content = stream.content ?? '';
    check(content.startsWith(shown), 'a stream only grows');
    if (stream.finish) return { content, polls };
    if (content !== shown) console.log(`bot  ▸ ${content}`);
    shown = content;
  }
  throw new Error('the stream did not finish');
}

async function main(): Promise<void> {
  const dir = tempDir('wecom-demo-');
  const config = dir.write(
    'maven.json',
    JSON.stringify({
      channels: { wecom: { enabled: true, token: TOKEN, encodingAESKey: KEY, allowFrom: [] } },
    }),
  );
  let sim: WeComSimulator | undefined;
  const bots: StartedExample[] = [];
  try {
    sim = await startWeComSimulator();
    const common = ['--config', config, '--host', '127.0.0.1', '--port', '0', '--media-base', sim.url];
    const [plain, streaming] = await Promise.all([
      startExample(ENTRY, common),
      startExample(ENTRY, [...common, '--stream', '--stream-step-ms', '250']),
    ]);
    bots.push(plain, streaming);
    console.log(
      'WeCom demo: a simulated WeCom and examples/maven-bot on loopback — no account, no network.\n',
    );
    console.log(`  simulated WeCom   ${sim.url}`);
    console.log(`  maven-bot         ${plain.url}   (answers through response_url, as the reference does)`);
    console.log(`  maven-bot         ${streaming.url}   (--stream: answers with a passive stream)`);

    const bot = sim.bot({ token: TOKEN, encodingAESKey: KEY });

    section('1. URL verification — what the WeCom console does when you save the callback URL');
    const verified = await bot.verify(plain.url);
    console.log('  → GET /wecom/bot?msg_signature=…&timestamp=…&nonce=…&echostr=<encrypted>');
    console.log(
      `  ← ${verified.status} ${JSON.stringify(verified.body)}   (the decrypted echostr, bare plain text)`,
    );
    check(verified.ok, 'URL verification');
    console.log('  ✓ the console would accept this URL');

    section('2. The user opens the chat, says hello');
    const entered = await bot.event(plain.url, 'enter_chat');
    console.log('user › (opens the chat)');
    const welcome = entered.reply?.text?.content;
    check(typeof welcome === 'string' && welcome.length > 0, 'a welcome on enter_chat');
    say('bot', welcome, 'passive reply to enter_chat');
    say('user', 'hello');
    const hello = await bot.send(plain.url, 'hello');
    check(hello.status === 200, 'the callback is acknowledged');
    const posted = await sim.waitForResponse(hello.responseUrl!);
    const markdown = (posted.body as { markdown?: { content?: string } }).markdown?.content;
    check(markdown === 'echo: hello', 'the echo arrives through response_url');
    say('bot', markdown, 'markdown through the message’s response_url');

    section('3. A streamed reply — the text grows while the user watches');
    const question = 'tell me something, slowly';
    say('user', question);
    const started = await bot.send(streaming.url, botText({ content: question }));
    const stream = started.reply?.stream;
    check(started.reply?.msgtype === 'stream' && stream?.id, 'a passive stream in the callback response');
    const streamed = await streamLive(bot, streaming.url, stream.id, stream.content ?? '');
    check(streamed.content === `echo: ${question}`, 'the stream finishes with the whole answer');
    say('bot', streamed.content, `stream finished after ${streamed.polls} refresh callbacks`);

    section('4. An image — downloaded from the (encrypted) media CDN, decrypted, recognised');
    const imageUrl = sim.putMedia(PNG_1X1, { encodingAESKey: KEY, contentType: 'image/png' });
    say('user', `[an image: ${PNG_1X1.byteLength}-byte PNG, AES-encrypted on the CDN]`);
    const image = await bot.send(plain.url, botImage({ url: imageUrl }));
    const imageReply = await sim.waitForResponse(image.responseUrl!);
    const imageText = (imageReply.body as { markdown?: { content?: string } }).markdown?.content;
    check(
      (imageText ?? '').startsWith(
        `image: image/png ${PNG_1X1.byteLength} → base64 block ${PNG_1X1.toString('base64').slice(0, 16)}`,
      ),
      'the image is decrypted and recognised',
    );
    say('bot', imageText ?? '', 'MIME type from the decrypted bytes');

    for (const child of bots.splice(0)) {
      const exit = await child.stop('SIGTERM');
      check(exit.code === 0, `maven-bot exits 0 on SIGTERM (got ${exit.code ?? exit.signal})`);
    }
    console.log(
      '\n✓ demo finished: verification, welcome, text, stream and image all round-tripped; both bots stopped cleanly.',
    );
  } catch (error) {
    for (const child of bots) console.error(child.output());
    throw error;
  } finally {
    await Promise.all(bots.map((child) => child.stop('SIGKILL')));
    await sim?.close();
    dir.remove();
  }
}

const guard = setTimeout(() => {
  console.error('demo: timed out after 60 s');
  process.exit(1);
}, 60_000);
guard.unref();

main().then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    console.error(`\n✗ ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
