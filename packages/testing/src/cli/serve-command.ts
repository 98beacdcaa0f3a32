/** `wecom-sim serve`: a simulated WeCom until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util';
import { mask } from '../mask.js';
import type { SimAppOptions } from '../sim/apps.js';
import type { RecordedCall } from '../sim/recorder.js';
import { startWeComSimulator } from '../sim/simulator.js';
import type { WsBotOptions } from '../sim/ws/types.js';
import { type Env, intOption, type Output, UsageError, withEnv } from './output.js';

export const SERVE_USAGE = `wecom-sim serve [--port N] [--host H] [--app corpId:secret:agentId[:name] ...] [--bot BOTID:SECRET ...]
               [--token-ttl S] [--quiet]
  Starts the simulated WeCom API (gettoken, message/send, media, aibot/response…) and prints its URL,
  then one line per API call naming the app whose access_token made it; with --bot also the AI-bot
  long-connection endpoint, whose ws:// URL is printed on a line of its own.
  --app    default: one app from $WECOM_CORP_ID, $WECOM_CORP_SECRET and $WECOM_AGENT_ID when all are set
  --port   default: $WECOM_SIM_PORT, else a free port`;

/** The app the environment describes (the variables the SDK's examples read), when all are set. */
function appFromEnv(env: Env): SimAppOptions[] {
  const corpId = withEnv(undefined, env, ['WECOM_CORP_ID']);
  const corpSecret = withEnv(undefined, env, ['WECOM_CORP_SECRET']);
  const agentId = withEnv(undefined, env, ['WECOM_AGENT_ID']);
  if (corpId === undefined || corpSecret === undefined || agentId === undefined) return [];
  return [parseAppSpec(`${corpId}:${corpSecret}:${agentId}`, 0)];
}

/** Who made an API call: the app of its access_token, or why none was found. */
function caller(call: RecordedCall): string {
  if (call.app !== undefined) return ` app ${call.app}`;
  if (call.key === 'media' || call.key === 'aibot/response' || call.key === 'gettoken') return '';
  return call.query.access_token === undefined ? ' (no access_token)' : ' (unknown access_token)';
}

export function parseAppSpec(spec: string, index: number): SimAppOptions {
  const parts = spec.split(':');
  if (parts.length < 3 || parts.length > 4 || parts.slice(0, 3).some((p) => p.length === 0)) {
    throw new UsageError('--app must be corpId:secret:agentId or corpId:secret:agentId:name');
  }
  const [corpId, corpSecret, agentId, name] = parts as [string, string, string, string | undefined];
  if (!/^\d+$/.test(agentId)) throw new UsageError('--app agentId must be an integer');
  return { corpId, corpSecret, agentId: Number(agentId), name: name ?? `app${index + 1}` };
}

export function parseBotSpec(spec: string): WsBotOptions {
  const at = spec.indexOf(':');
  if (at <= 0 || at === spec.length - 1) throw new UsageError('--bot must be BOTID:SECRET');
  return { botId: spec.slice(0, at), secret: spec.slice(at + 1) };
}

export async function serveCommand(
  argv: string[],
  io: Output,
  signal: AbortSignal,
  env: Env = {},
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      app: { type: 'string', multiple: true },
      bot: { type: 'string', multiple: true },
      'token-ttl': { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  const apps = values.app === undefined ? appFromEnv(env) : values.app.map(parseAppSpec);
  const bots = (values.bot ?? []).map(parseBotSpec);
  const sim = await startWeComSimulator({
    port: intOption('port', withEnv(values.port, env, ['WECOM_SIM_PORT']), 0),
    host: values.host ?? '127.0.0.1',
    apps,
    bots,
    tokenTtlSeconds: intOption('token-ttl', values['token-ttl'], 7200, 1),
    ...(values.quiet === true
      ? {}
      : {
          onCall: (call) => {
            const errcode =
              call.response !== null && typeof call.response === 'object' && 'errcode' in call.response
                ? ` errcode ${String((call.response as { errcode: unknown }).errcode)}`
                : '';
            io.out(
              `${call.method} ${call.path}${caller(call)} → ${call.status === 0 ? 'dropped' : call.status}${errcode}${call.fault ? ' (injected)' : ''}`,
            );
          },
        }),
  });
  io.out(`wecom-sim listening on ${sim.url}`);
  for (const app of sim.apps) {
    io.out(`  app ${app.name}: corpid ${app.corpId}, agentid ${app.agentId}, secret ${mask(app.corpSecret)}`);
  }
  if (bots.length > 0) {
    io.out('long connection (AI bot):');
    io.out(sim.wsUrl);
    for (const bot of bots) io.out(`  bot ${bot.botId}: secret ${mask(bot.secret)}`);
  }
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await sim.close();
  return 0;
}
