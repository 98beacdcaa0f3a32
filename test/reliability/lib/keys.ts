/**
 * The credentials of the reliability suite. They are distinctive on purpose: the hostile-input test
 * searches every log line of the server for them.
 */
export const BOT = {
  token: 'ReliabilityBotTokenQ7zK',
  encodingAESKey: 'Rk9vQmFyQmF6UXV1eDEyMzQ1Njc4OTBhYmNkZWZnaGk',
  aibotid: 'aibot-reliability',
} as const;

export const APP = {
  name: 'hermes',
  corpId: 'wwreliability01',
  corpSecret: 'ReliabilityCorpSecret-8c1f2e7d',
  agentId: 1000002,
  token: 'ReliabilityAppTokenV4nP',
  encodingAESKey: 'QXBwS2V5Rm9yUmVsaWFiaWxpdHlUZXN0czAxMjM0NTY',
} as const;

export const BOT_PATH = '/wecom/bot';
export const APP_PATH = '/wecom/callback';

/** Every secret that must never reach a log line. */
export const SECRETS: readonly string[] = [
  BOT.token,
  BOT.encodingAESKey,
  APP.token,
  APP.encodingAESKey,
  APP.corpSecret,
];
