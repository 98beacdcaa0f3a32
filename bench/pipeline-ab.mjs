/**
 * Two commits' inbound paths in one process, interleaved (robust to load from other processes):
 * a bot (or a router with APPS apps) from each checkout, fed the same signed 1 KB callbacks through
 * receive() in alternating rounds; CPU time per callback, median of the rounds, and the ratio
 * round by round (median and interquartile range). Each checkout's packages run on that
 * checkout's own dist (dist-hooks.mjs maps an import by the checkout it comes from); the first
 * lines printed prove it: the core whose error classes each bot and router throw.
 *
 * ROOTS=/path/to/this,/path/to/other node --import ./bench/lib/use-dist.mjs --import tsx \
 *   bench/pipeline-ab.mjs bot|app [rounds] [perRound]   (both checkouts built)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const kind = process.argv[2] ?? 'bot';
const rounds = Number(process.argv[3] ?? 12),
  per = Number(process.argv[4] ?? 2000);
const roots = (process.env.ROOTS ?? '.,../before').split(',').map((r) => pathToFileURL(resolve(r)).href);
const apps = Number(process.env.APPS ?? 10);
const subjects = [];
const cores = await Promise.all(roots.map((root) => import(`${root}/packages/core/dist/index.mjs`)));
/** The core dist whose WeComError class the error `make` throws is an instance of. */
const coreOf = (make) => {
  try {
    make();
  } catch (error) {
    const i = cores.findIndex((core) => error instanceof core.WeComError);
    return i < 0 ? `none (${error})` : `${roots[i]}/packages/core/dist/index.mjs`;
  }
  return 'none (no error)';
};
for (const [i, root] of roots.entries()) {
  const { WeComBot } = await import(`${root}/packages/bot/dist/index.mjs`);
  const { CallbackRouter } = await import(`${root}/packages/callback/dist/index.mjs`);
  const core = cores[i];
  console.log(`${root}: bot runs on ${coreOf(() => new WeComBot({}))}`);
  console.log(`${root}: router runs on ${coreOf(() => new CallbackRouter({}))}`);
  const fx = await import(`${root}/bench/lib/fixtures.ts`);
  let handler;
  if (kind === 'bot') {
    handler = new WeComBot({
      ...fx.BOT_KEYS,
      receiveId: '',
      path: '/wecom/bot',
      timestampWindow: false,
      logger: core.silentLogger,
    });
    // Before the vocabulary change (issue 13) the bot's message id was `msgid`.
    handler.on('text', (m, ctx) => ctx.reply(`echo ${m.msgId ?? m.msgid}`));
  } else {
    handler = new CallbackRouter({
      apps: fx.benchApps(apps).map(({ corpSecret, ...a }) => a),
      path: '/wecom/callback',
      timestampWindow: false,
      logger: core.silentLogger,
    });
    handler.on('text', (m, ctx) => ctx.reply(`echo ${m.msgId ?? m.msgid}`));
  }
  const total = per * (rounds + 1);
  const pool =
    kind === 'bot'
      ? fx.botCallbackPool(total, '/wecom/bot')
      : fx.appCallbackPool(total, '/wecom/callback', fx.benchApps(apps).at(-1));
  subjects.push({ root, handler, pool, i: 0, times: [] });
}
async function round(s, count) {
  const c0 = process.cpuUsage();
  for (let k = 0; k < count; k++) {
    const r = s.pool[s.i++];
    const res = await s.handler.receive({ method: 'POST', url: r.path, headers: {}, body: r.body });
    if (res.status !== 200) throw new Error(`status ${res.status} ${res.body}`);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / count;
}
for (const s of subjects) await round(s, per);
for (let r = 0; r < rounds; r++)
  for (const s of r % 2 ? [...subjects].reverse() : subjects) s.times.push(await round(s, per));
const quantile = (a, q) => {
  const b = [...a].sort((x, y) => x - y);
  const at = (b.length - 1) * q;
  const low = Math.floor(at);
  return b[low] + (b[Math.min(low + 1, b.length - 1)] - b[low]) * (at - low);
};
for (const s of subjects)
  console.log(
    `${kind} ${s.root}: median ${quantile(s.times, 0.5).toFixed(1)} µs, min ${Math.min(...s.times).toFixed(1)}`,
  );
// Round by round (the two ran back to back in each round): first / second.
const ratios = subjects[0].times.map((t, i) => t / subjects[1].times[i]);
console.log(
  `ratio first/second per round: median ${quantile(ratios, 0.5).toFixed(3)}, IQR ${quantile(ratios, 0.25).toFixed(3)}–${quantile(ratios, 0.75).toFixed(3)}`,
);
process.exit(0);
