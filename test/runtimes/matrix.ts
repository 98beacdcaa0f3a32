/**
 * What every runtime runs in-process: the crypto contract, then the bot and self-built-app round
 * trips against the app served by that runtime's own HTTP server on 127.0.0.1 (plus a
 * response_url sink).
 */

import type { WebSocketConstructor } from '../../packages/bot/src/index.ts';
import { appRoundTrip } from './app-roundtrip.ts';
import { botRoundTrip } from './bot-roundtrip.ts';
import { type CheckResult, Checks } from './checks.ts';
import { cryptoContract } from './crypto-contract.ts';
import { APP_FETCH_PATH, APP_HONO_PATH, FETCH_PATH, HONO_PATH } from './fixture.ts';
import { createMatrixApp, type MatrixApp } from './matrix-app.ts';
import { ResponseUrlSink } from './response-sink.ts';
import { type WsTarget, wsRoundTrip } from './ws-roundtrip.ts';

export type FetchFn = (request: Request, ...extra: unknown[]) => Response | Promise<Response>;

export interface Served {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): unknown;
}

export type Serve = (fetch: FetchFn) => Promise<Served>;

export interface MatrixOptions {
  /** Checks that the process really is the runtime the line claims (version, user agent). */
  identity: { name: string; check: () => unknown };
  expectDefault: 'node' | 'web';
  serve: Serve;
  /** Further targets a runtime serves the same bots through (Node: `toNodeListener`). */
  extraTargets?: (app: MatrixApp) => Promise<(Target & { close(): unknown })[]>;
  /** Round trips with an OpenTelemetry SDK registered, after the others (Node: telemetry-roundtrip.ts). */
  telemetry?: (target: Target, sink: { base: string; sink: ResponseUrlSink }) => Promise<CheckResult[]>;
  /** The long-connection round trip against the simulator, when scripts/runtimes.mjs started one. */
  ws?: { target: WsTarget | undefined; WebSocket?: WebSocketConstructor };
}

/** Where a round trip is sent: a bot endpoint or a self-built-app endpoint. */
export interface Target {
  kind: 'bot' | 'app';
  label: string;
  url: string;
}

/** Every round trip of the matrix against one served app (its base URL). */
export function standardTargets(base: string): Target[] {
  return [
    { kind: 'bot', label: 'fetch', url: `${base}${FETCH_PATH}` },
    { kind: 'bot', label: 'hono', url: `${base}${HONO_PATH}` },
    { kind: 'app', label: 'fetch', url: `${base}${APP_FETCH_PATH}` },
    { kind: 'app', label: 'hono', url: `${base}${APP_HONO_PATH}` },
  ];
}

export async function roundTrips(targets: Target[], sink: { base: string; sink: ResponseUrlSink }) {
  const results: CheckResult[] = [];
  for (const target of targets) {
    results.push(
      ...(target.kind === 'bot' ? await botRoundTrip({ ...target, sink }) : await appRoundTrip(target)),
    );
  }
  return results;
}

export async function runMatrix(options: MatrixOptions): Promise<CheckResult[]> {
  const checks = new Checks();
  await checks.run(`runtime: ${options.identity.name}`, options.identity.check);
  checks.add(await cryptoContract({ expectDefault: options.expectDefault }));

  const app = createMatrixApp();
  const sink = new ResponseUrlSink();
  const closers: (() => unknown)[] = [];
  try {
    const sinkServer = await options.serve(sink.fetch);
    closers.push(() => sinkServer.close());
    const appServer = await options.serve(app.fetch);
    closers.push(() => appServer.close());
    const targets = standardTargets(appServer.url);
    for (const extra of (await options.extraTargets?.(app)) ?? []) {
      closers.push(() => extra.close());
      targets.push(extra);
    }
    checks.add(await roundTrips(targets, { base: sinkServer.url, sink }));
    if (options.telemetry) checks.add(await options.telemetry(targets[0]!, { base: sinkServer.url, sink }));
    if (options.ws?.target) checks.add(await wsRoundTrip(options.ws.target, options.ws.WebSocket));
  } catch (error) {
    await checks.run('bot: serve the app', () => {
      throw error;
    });
  } finally {
    for (const close of closers.reverse()) await close();
  }
  return checks.results;
}
