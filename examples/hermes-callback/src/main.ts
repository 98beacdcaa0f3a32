/**
 * hermes-callback: the WeCom self-built-app adapter of the reference agent, as a process.
 *
 *   WECOM_CALLBACK_ALLOWED_USERS=zhangsan node --import tsx examples/hermes-callback/src/main.ts --config config.yaml
 *   WECOM_CALLBACK_CORP_ID=… WECOM_CALLBACK_CORP_SECRET=… WECOM_CALLBACK_AGENT_ID=… WECOM_CALLBACK_TOKEN=… \
 *   WECOM_CALLBACK_ENCODING_AES_KEY=… node --import tsx examples/hermes-callback/src/main.ts   # env only
 *
 * Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT) or when the platform is disabled, 2 for a
 * configuration error (message on stderr, never a secret), 1 for anything else.
 */
import { allowlistFromEnv } from '@maven/wecom-callback';
import { createConsoleLogger, isWeComError, type Logger, redact, type Store } from '@maven/wecom-core';
import { runMain, serveUntilSignal } from '../../shared/lifecycle.js';
import { connectRedis } from '../../shared/redis-client.js';
import { parseCli, USAGE } from './cli.js';
import { ConfigError, checkAllowScope, loadHermesConfig } from './config.js';

function fail(message: string): void {
  process.stderr.write(`hermes-callback: ${redact(message)}\n`);
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
  return createRedisStore({ client, ownsClient: true, prefix: 'hermes:', logger });
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  let config: Awaited<ReturnType<typeof loadHermesConfig>>;
  let allow: ReturnType<typeof allowlistFromEnv>;
  try {
    cli = parseCli(argv, env);
    if (cli.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    config = await loadHermesConfig(cli.config, env);
    // The reference adapter's variables and default: nothing set = nobody.
    allow = allowlistFromEnv(env);
    checkAllowScope(allow, config.apps);
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(error.message);
      if (error.problems.some((p) => p.startsWith('no config'))) process.stderr.write(`\n${USAGE}\n`);
      return error.exitCode;
    }
    if (isWeComError(error) && error.code === 'invalid_config') {
      fail(`invalid environment: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (!config.enabled) {
    fail('platforms.wecom_callback.enabled is false: the platform is off, nothing to serve');
    return 0;
  }

  const logger = createConsoleLogger({
    level: cli.logLevel,
    name: 'hermes-callback',
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

  const { describeAllow, startGateway } = await import('./gateway.js');
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  const host = cli.host ?? config.host;
  try {
    gateway = await startGateway({
      apps: config.apps,
      host,
      port: cli.port ?? config.port,
      path: config.path,
      allow,
      apiBase: cli.apiBase,
      store,
      ackDelayMs: cli.ackDelayMs,
      logger,
    });
  } catch (error) {
    await store?.close?.();
    if (isWeComError(error) && error.code === 'invalid_config') {
      fail(`invalid config: ${error.message}`);
      return 2;
    }
    const code = (error as { code?: string }).code;
    fail(`cannot listen on ${host}:${cli.port ?? config.port}: ${code ?? (error as Error).message}`);
    return 1;
  }

  const who = describeAllow(allow);
  logger.info('WeCom callback ready', {
    apps: gateway.router.apps.map((a) => `${a.name} (${a.corpId}/${a.agentId})`),
    paths: [config.path, ...gateway.router.apps.map((a) => `${config.path}/${a.name}`)],
    allowed: who,
    store: store ? 'redis' : 'memory',
    api: cli.apiBase ?? 'https://qyapi.weixin.qq.com',
  });
  if (who === 'nobody') {
    logger.warn(
      'no user is allowed: set WECOM_CALLBACK_ALLOWED_USERS (comma list) or WECOM_CALLBACK_ALLOW_ALL_USERS=true',
    );
  }
  return serveUntilSignal(gateway, logger, fail);
}

runMain(() => main(process.argv.slice(2), process.env), fail);
