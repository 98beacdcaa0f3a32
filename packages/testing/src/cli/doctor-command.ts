/** `wecom-sim doctor`: one verification GET, one diagnosis, exit 0 only when WeCom would accept it. */
import { parseArgs } from 'node:util';
import { diagnoseVerification, probeVerification, WECOM_VERIFY_TIMEOUT_MS } from '../doctor.js';
import { mask } from '../mask.js';
import { intOption, modeOption, type Output, required, shownUrl, UsageError } from './output.js';

export const DOCTOR_USAGE = `wecom-sim doctor --url URL --token TOKEN --key ENCODING_AES_KEY [--mode bot|app] [--corp-id ID] [--timeout MS]
  Sends the URL-verification GET that WeCom's console sends and explains why
  「回调地址请求不通过」 would appear. Exit code 0 when the URL passes, 1 otherwise.`;

export async function doctorCommand(argv: string[], io: Output): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      key: { type: 'string' },
      mode: { type: 'string' },
      'corp-id': { type: 'string' },
      timeout: { type: 'string' },
    },
  });
  const url = required('url', values.url);
  const token = required('token', values.token);
  const key = required('key', values.key);
  const mode = modeOption(values.mode);
  const corpId = values['corp-id'];
  if (mode === 'app' && !corpId)
    throw new UsageError('--corp-id is required with --mode app (it is the receiveId)');
  const timeoutMs = intOption('timeout', values.timeout, WECOM_VERIFY_TIMEOUT_MS, 1);
  io.out(
    `wecom-sim doctor: ${mode} mode, ${shownUrl(url)}, token ${mask(token)}, EncodingAESKey ${mask(key)} (${key.length} chars)` +
      (corpId ? `, corp ${corpId}` : ''),
  );
  const probe = await probeVerification({
    url,
    token,
    encodingAESKey: key,
    mode,
    timeoutMs,
    ...(corpId === undefined ? {} : { corpId }),
  });
  const diagnosis = diagnoseVerification(probe);
  io.out(`${diagnosis.ok ? '✓' : '✗'} [${diagnosis.code}] ${diagnosis.message}`);
  if (diagnosis.hint !== undefined) io.out(`  → ${diagnosis.hint}`);
  return diagnosis.ok ? 0 : 1;
}
