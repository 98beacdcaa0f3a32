import { botFile, botImage, botMixed, botText } from '@maven/wecom-testing';
import { describe, expect, it } from 'vitest';
import type { MediaFile } from '../src/index.js';
import { botSuite, encryptMedia, fakePng, gate, OTHER_KEY, post } from './helpers.js';

const suite = botSuite(2000);
const setup = suite.setup;

const PDF = new TextEncoder().encode('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n');
let n = 0;
const name = () => `m${++n}`;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('media download', () => {
  it('ctx.downloadMedia(): an encrypted image is decrypted and sniffed from its bytes', async () => {
    const t = setup();
    const png = fakePng(5000);
    const url = suite.wecom.putMedia(name(), {
      bytes: encryptMedia(png),
      contentType: 'application/octet-stream',
    });
    const got = gate<MediaFile>();
    t.bot.on('image', async (_m, ctx) => {
      got.open(await ctx.downloadMedia());
    });
    await post(t.bot, botImage({ url }));
    const file = await got.promise;
    expect(Buffer.from(file.bytes).equals(Buffer.from(png))).toBe(true);
    expect(file.mime).toBe('image/png');
    expect(file.base64).toBe(Buffer.from(png).toString('base64'));
    expect(file.block).toEqual({ type: 'image', mimeType: 'image/png', data: file.base64 });
  });

  it('ctx.downloadMediaStream(): the same image as a stream decrypted on the fly', async () => {
    const t = setup();
    const png = fakePng(70_000);
    const url = suite.wecom.putMedia(name(), {
      bytes: encryptMedia(png),
      contentType: 'application/octet-stream',
    });
    const got = gate<{ mime: string | undefined; bytes: Uint8Array }>();
    t.bot.on('image', async (_m, ctx) => {
      const media = await ctx.downloadMediaStream();
      got.open({ mime: media.mime, bytes: new Uint8Array(await new Response(media.stream).arrayBuffer()) });
    });
    await post(t.bot, botImage({ url }));
    const file = await got.promise;
    expect(file.mime).toBe('image/png');
    expect(Buffer.from(file.bytes).equals(Buffer.from(png))).toBe(true);
  });

  it('bot.downloadMedia(): a file with its name from Content-Disposition', async () => {
    const t = setup();
    const url = suite.wecom.putMedia(name(), {
      bytes: encryptMedia(PDF),
      headers: { 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent('报告.pdf')}` },
    });
    const msg = botFile({ url });
    const seen = gate<MediaFile>();
    t.bot.on('file', async (m) => {
      seen.open(await t.bot.downloadMedia(m));
    });
    await post(t.bot, msg);
    const file = await seen.promise;
    expect(file.mime).toBe('application/pdf');
    expect(file.filename).toBe('报告.pdf');
    expect(file.block.type).toBe('file');
    expect(new TextDecoder().decode(file.bytes)).toBe(new TextDecoder().decode(PDF));
  });

  it('a per-item aeskey is used instead of the bot key', async () => {
    const t = setup();
    const png = fakePng(100);
    const url = suite.wecom.putMedia(name(), { bytes: encryptMedia(png, OTHER_KEY) });
    const file = await t.bot.downloadMedia({ kind: 'image', url, aeskey: `${OTHER_KEY}=` });
    expect(file.mime).toBe('image/png');
    expect(await codeOf(t.bot.downloadMedia({ kind: 'image', url }))).toBe('media_decrypt_failed');
  });

  it('unknown bytes fall back to Content-Type, then application/octet-stream', async () => {
    const t = setup();
    const bytes = new TextEncoder().encode('just some plain words, nothing magic');
    const typed = suite.wecom.putMedia(name(), {
      bytes: encryptMedia(bytes),
      contentType: 'text/plain; charset=utf-8',
    });
    const untyped = suite.wecom.putMedia(name(), { bytes: encryptMedia(bytes) });
    expect((await t.bot.downloadMedia(typed)).mime).toBe('text/plain');
    expect((await t.bot.downloadMedia(untyped)).mime).toBe('application/octet-stream');
  });

  it('mixed messages: downloadAllMedia() returns every image in order', async () => {
    const t = setup();
    const a = fakePng(80);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 0, 1, 2, 3]);
    const ua = suite.wecom.putMedia(name(), { bytes: encryptMedia(a) });
    const ub = suite.wecom.putMedia(name(), { bytes: encryptMedia(jpeg) });
    const got = gate<MediaFile[]>();
    t.bot.on('mixed', async (_m, ctx) => {
      got.open(await ctx.downloadAllMedia());
    });
    await post(t.bot, botMixed({ items: [{ imageUrl: ua }, { text: 'two pictures' }, { imageUrl: ub }] }));
    expect((await got.promise).map((f) => f.mime)).toEqual(['image/png', 'image/jpeg']);
  });

  it('oversize media is refused: declared Content-Length and streamed without one', async () => {
    const t = setup({ media: { protocols: ['http:'], maxBytes: 4096 } });
    const big = encryptMedia(fakePng(200_000));
    const declared = suite.wecom.putMedia(name(), { bytes: big });
    const streamed = suite.wecom.putMedia(name(), { bytes: big, contentLength: false });
    expect(await codeOf(t.bot.downloadMedia(declared))).toBe('media_too_large');
    expect(await codeOf(t.bot.downloadMedia(streamed))).toBe('media_too_large');
    const small = suite.wecom.putMedia(name(), { bytes: encryptMedia(fakePng(1000)), contentLength: false });
    expect((await t.bot.downloadMedia(small)).mime).toBe('image/png');
  });

  it('http media URLs are refused by default; hosts can be restricted', async () => {
    const strict = setup({ media: {} });
    const url = suite.wecom.putMedia(name(), { bytes: encryptMedia(fakePng()) });
    const error = await strict.bot.downloadMedia(url).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'media_url_forbidden', name: 'WeComBotError' });
    const hosts = setup({ media: { protocols: ['http:', 'https:'], hosts: ['.myqcloud.com'] } });
    expect(await codeOf(hosts.bot.downloadMedia(url))).toBe('media_url_forbidden');
    const local = setup({ media: { protocols: ['http:'], hosts: ['127.0.0.1'] } });
    expect(await codeOf(local.bot.downloadMedia(url))).toBe('ok');
    expect(await codeOf(strict.bot.downloadMedia('not a url'))).toBe('media_url_forbidden');
  });

  it('media_id-only images are reported as unsupported with a clear message', async () => {
    const t = setup();
    const error = (await t.bot
      .downloadMedia({ kind: 'image', mediaId: 'MEDIA_ID' })
      .catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'media_id_unsupported' });
    expect(error.message).toMatch(/media_id/);
    expect(error.message).toMatch(/access token/);
  });

  it('download and decrypt failures are typed errors, never the encrypted URL', async () => {
    const t = setup();
    const missing = `${suite.wecom.url}/media/does-not-exist`;
    expect(await codeOf(t.bot.downloadMedia(missing))).toBe('media_download_failed');
    const plain = suite.wecom.putMedia(name(), { bytes: fakePng(100) });
    expect(await codeOf(t.bot.downloadMedia(plain))).toBe('media_decrypt_failed');
    const odd = suite.wecom.putMedia(name(), { bytes: new Uint8Array(77) });
    expect(await codeOf(t.bot.downloadMedia(odd))).toBe('media_decrypt_failed');
  });

  it('a message without media: no_media', async () => {
    const t = setup();
    const got = gate<string>();
    t.bot.on('text', async (_m, ctx) => {
      got.open(await codeOf(ctx.downloadMedia()));
    });
    await post(t.bot, botText({ content: 'x' }));
    expect(await got.promise).toBe('no_media');
  });
});
