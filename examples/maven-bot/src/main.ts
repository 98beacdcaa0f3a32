/**
 * maven-bot: the WeCom AI-bot channel of the reference gateway, as a process.
 *
 *   node --import tsx examples/maven-bot/src/main.ts --config maven.json [--stream] [--host 127.0.0.1]
 *
 * Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT) or when the channel is disabled, 2 for a
 * configuration error (message on stderr, never the token or key), 1 for anything else.
 */
import { createConsoleLogger, isWeComError, type Logger, redact, type Store } from '@maven/wecom-core';
import { runMain, serveUntilSignal } from '../../shared/lifecycle.js';
import { connectRedis } from '../../shared/redis-client.js';
import { parseCli, USAGE } from './cli.js';
import { ConfigError, loadMavenConfig, maskUrl } from './config.js';
import { createProxyFetch, type ProxyFetch } from './proxy.js';

function fail(message: string): void {
  process.stderr.write(`maven-bot: ${redact(message)}\n`);
}

async function openRedisStore(url: string, logger: Logger): Promise<Store> {
  const [{ Cluster, Redis }, { createRedisStore }] = await Promise.all([
    import('ioredis'),
    import('@maven/wecom-redis'),
  ]);
  const client = await connectRedis<InstanceType<typeof Redis> | InstanceType<typeof Cluster>>(url, logger, {
    single: (href, options) => new Redis(href, options),
    cluster: (nodes, options) => new Cluster(nodes, options),
  });
  return createRedisStore({ client, ownsClient: true, prefix: 'maven:', logger });
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  let config: Awaited<ReturnType<typeof loadMavenConfig>>;
  let proxyFetch: ProxyFetch | undefined;
  try {
    cli = parseCli(argv, env);
    if (cli.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    config = await loadMavenConfig(cli.config!);
    if (config.proxy) proxyFetch = createProxyFetch(config.proxy);
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(error.message);
      if (error.problems.some((p) => p.startsWith('no config'))) process.stderr.write(`\n${USAGE}\n`);
      return error.exitCode;
    }
    throw error;
  }
  if (!config.enabled) {
    fail('channels.wecom.enabled is false: the WeCom channel is off, nothing to serve');
    return 0;
  }

  const logger = createConsoleLogger({
    level: cli.logLevel,
    name: 'maven-bot',
    write: (_level, line) => process.stderr.write(`${line}\n`),
  });
  let store: Store | undefined;
  if (cli.redis) {
    try {
      store = await openRedisStore(cli.redis, logger);
    } catch (error) {
      fail((error as Error).message);
      return 1;
    }
  }

  // Loaded only now, so configuration errors are reported without loading the SDK.
  const { startGateway } = await import('./gateway.js');
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({
      config,
      host: cli.host,
      port: cli.port ?? config.port,
      stream: cli.stream,
      streamStepMs: cli.streamStepMs,
      mediaBase: cli.mediaBase,
      ack: cli.ack,
      ackDelayMs: cli.ackDelayMs,
      store,
      fetch: proxyFetch?.fetch,
      onClose: proxyFetch?.close,
      logger,
    });
  } catch (error) {
    await store?.close?.();
    if (isWeComError(error) && error.code === 'invalid_config') {
      fail(`invalid config: ${error.message}`);
      return 2;
    }
    const code = (error as { code?: string }).code;
    await proxyFetch?.close();
    fail(
      `cannot listen on ${cli.host ?? 'all interfaces'}:${cli.port ?? config.port}: ${code ?? (error as Error).message}`,
    );
    return 1;
  }

  logger.info('WeCom channel ready', {
    connection:
      config.connection === 'websocket'
        ? `websocket (long connection to ${config.wsUrl ?? 'wss://openws.work.weixin.qq.com'})`
        : 'webhook',
    mode: cli.stream ? 'passive stream' : 'markdown via response_url',
    store: store ? 'redis' : 'memory',
    allowFrom: config.allowFrom.length === 0 ? 'everyone' : config.allowFrom.length,
    receiveId: config.receiveId === undefined ? 'not enforced' : 'enforced',
    host: cli.host ?? 'all interfaces',
    proxy: config.proxy ? maskUrl(config.proxy) : 'none',
    mediaFrom: cli.mediaBase ? cli.mediaBase.origin : 'https only',
  });
  logger.info('capabilities', {
    ...gateway.bot.capabilities,
    note:
      config.connection === 'websocket'
        ? 'long connection: scheduled (deliver: true) messages go out proactively'
        : 'reactive-only: proactive (cron deliver: true) sends are skipped with a WARN',
  });
  return serveUntilSignal(gateway, logger, fail);
}

runMain(() => main(process.argv.slice(2), process.env), fail);
