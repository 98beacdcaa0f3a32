/**
 * `wecom-sim doctor`: the URL-verification GET, then one signed, encrypted text callback per bot
 * or app, each with one diagnosis; exit 0 only when WeCom would accept all of them.
 */
import { parseArgs } from 'node:util';
import {
  type Diagnosis,
  diagnoseVerification,
  probeVerification,
  WECOM_VERIFY_TIMEOUT_MS,
} from '../doctor.js';
import { diagnoseCallback, probeCallback } from '../doctor-callback.js';
import { mask } from '../mask.js';
import { DEFAULT_REDELIVER_AFTER_MS } from '../sim/delivery.js';
import {
  type Env,
  intOption,
  KEYS_HELP,
  keysFrom,
  modeOption,
  type Output,
  required,
  shownUrl,
  UsageError,
  withEnv,
} from './output.js';

export const DOCTOR_USAGE = `wecom-sim doctor --url URL --token TOKEN --key ENCODING_AES_KEY [--mode bot|app]
                 [--corp-id ID --agent-id N] [--app CORPID:AGENTID[:TOKEN:KEY] ...] [--receive-id ID]
                 [--timeout MS] [--post-timeout MS] [--get-only]
  Checks a callback URL the way WeCom uses it: the URL-verification GET the console sends, then a
  signed, encrypted text message (one per --app in app mode) answered like WeCom requires (HTTP 200,
  empty or a valid encrypted reply). Each failure names the setting that is wrong (Token,
  EncodingAESKey, CorpID/receiveId, path, body parser, reverse proxy). Exit code 0 when all pass.
  The test message reaches the server's listeners like a real one (--get-only skips it).
  --app            app mode, several apps on one URL; TOKEN:KEY default to --token/--key
  --receive-id     bot mode: the receiveId in the frames (default '' like WeCom)
  --timeout        GET wait, default ${WECOM_VERIFY_TIMEOUT_MS} (WeCom's limit)
  --post-timeout   POST wait, default ${DEFAULT_REDELIVER_AFTER_MS} (WeCom's limit)
${KEYS_HELP}`;

interface Target {
  token: string;
  key: string;
  corpId?: string;
  agentId?: string;
}

function parseDoctorApp(spec: string, fallback: { token: string; key: string }): Target {
  const parts = spec.split(':');
  if ((parts.length !== 2 && parts.length !== 4) || parts.some((p) => p.length === 0))
    throw new UsageError('--app must be CORPID:AGENTID or CORPID:AGENTID:TOKEN:KEY');
  const [corpId, agentId, token, key] = parts as [string, string, string?, string?];
  if (!/^\d+$/.test(agentId)) throw new UsageError('--app AGENTID must be an integer');
  return { corpId, agentId, token: token ?? fallback.token, key: key ?? fallback.key };
}

function print(io: Output, what: string, d: Diagnosis): void {
  io.out(`${d.ok ? '✓' : '✗'} ${what} [${d.code}] ${d.message}`);
  if (d.hint !== undefined) io.out(`  → ${d.hint}`);
}

export async function doctorCommand(argv: string[], io: Output, env: Env = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      key: { type: 'string' },
      mode: { type: 'string' },
      'corp-id': { type: 'string' },
      'agent-id': { type: 'string' },
      app: { type: 'string', multiple: true },
      'receive-id': { type: 'string' },
      timeout: { type: 'string' },
      'post-timeout': { type: 'string' },
      'get-only': { type: 'boolean' },
    },
  });
  const url = required('url', values.url);
  const mode = values.app !== undefined && values.mode === undefined ? 'app' : modeOption(values.mode);
  const keys = keysFrom(values, env, mode);
  const targets: Target[] = [];
  if (mode === 'app') {
    for (const spec of values.app ?? []) targets.push(parseDoctorApp(spec, keys));
    const corpId = withEnv(values['corp-id'], env, ['WECOM_CORP_ID']);
    if (targets.length === 0 || values['corp-id'] !== undefined) {
      if (corpId === undefined)
        throw new UsageError(
          '--corp-id is required with --mode app (it is the receiveId; or set WECOM_CORP_ID), or give --app',
        );
      // WeCom always sends the AgentID, and a router matches on it.
      const agentId = required('agent-id', withEnv(values['agent-id'], env, ['WECOM_AGENT_ID']));
      intOption('agent-id', agentId, 0);
      targets.unshift({ ...keys, corpId, agentId });
    }
  } else {
    targets.push(keys);
  }
  const timeoutMs = intOption('timeout', values.timeout, WECOM_VERIFY_TIMEOUT_MS, 1);
  const postTimeoutMs = intOption('post-timeout', values['post-timeout'], DEFAULT_REDELIVER_AFTER_MS, 1);
  const first = targets[0]!;
  io.out(
    `wecom-sim doctor: ${mode} mode, ${shownUrl(url)}, token ${mask(first.token)}, EncodingAESKey ${mask(first.key)} (${first.key.length} chars)` +
      (first.corpId ? `, corp ${first.corpId}` : ''),
  );
  const verification = diagnoseVerification(
    await probeVerification({
      url,
      token: first.token,
      encodingAESKey: first.key,
      mode,
      timeoutMs,
      ...(first.corpId === undefined ? {} : { corpId: first.corpId }),
    }),
  );
  print(io, 'GET  URL verification', verification);
  // A key of the wrong format fails every check the same way: one line says it.
  if (verification.code === 'key_length' || verification.code === 'key_alphabet') return 1;
  let ok = verification.ok;
  if (values['get-only'] === true) return ok ? 0 : 1;
  for (const target of targets) {
    const probe = await probeCallback({
      url,
      token: target.token,
      encodingAESKey: target.key,
      mode,
      timeoutMs: postTimeoutMs,
      ...(target.corpId === undefined ? {} : { corpId: target.corpId }),
      ...(target.agentId === undefined ? {} : { agentId: target.agentId }),
      ...(values['receive-id'] === undefined ? {} : { receiveId: values['receive-id'] }),
    });
    probe.verified = verification.ok;
    const d = diagnoseCallback(probe);
    const who = target.corpId === undefined ? '' : ` to ${target.corpId}/${target.agentId}`;
    print(io, `POST text message${who}`, d);
    if (!d.ok && probe.body !== undefined && probe.body.length > 0 && !d.code.startsWith('bad_'))
      io.out(`  body: ${probe.body.slice(0, 200).replace(/\s+/g, ' ')}`);
    ok &&= d.ok;
  }
  return ok ? 0 : 1;
}
