/**
 * The errcodes the simulator answers with. Codes and messages come from WeCom's global error-code
 * page (docs/protocol.md §4.5, C3); entries marked `simulated` are our choice where WeCom documents none.
 */
export const ERRCODES = {
  ok: { errcode: 0, errmsg: 'ok' },
  busy: { errcode: -1, errmsg: 'system busy' },
  versionConflict: { errcode: 6000, errmsg: 'data version conflict' },
  invalidSecret: { errcode: 40001, errmsg: 'invalid credential' },
  invalidMediaId: { errcode: 40007, errmsg: 'invalid media_id' },
  invalidMsgType: { errcode: 40008, errmsg: 'invalid message type' },
  invalidType: { errcode: 40005, errmsg: 'invalid file type' },
  invalidFileSize: { errcode: 40006, errmsg: 'invalid file size' },
  invalidCorpId: { errcode: 40013, errmsg: 'invalid corpid' },
  invalidToken: { errcode: 40014, errmsg: 'invalid access_token' },
  tooManyUsers: { errcode: 40032, errmsg: 'invalid userid list size' },
  invalidAgentId: { errcode: 40056, errmsg: 'invalid agentid' },
  invalidParameter: { errcode: 40058, errmsg: 'invalid parameter' },
  invalidUserId: { errcode: 60111, errmsg: 'invalid string value `userid`' },
  invalidChatId: { errcode: 86003, errmsg: 'invalid chatid' },
  chatIdExists: { errcode: 86215, errmsg: 'chatid exists' },
  chatTooFewMembers: { errcode: 86216, errmsg: 'chat member count must be at least 2' },
  chatTooManyMembers: { errcode: 86217, errmsg: 'chat member count over limit' },
  missingChatId: { errcode: 86001, errmsg: 'chatid missing' },
  wrongMethod: { errcode: 40063, errmsg: 'some parameters are empty (wrong HTTP method?)' },
  missingToken: { errcode: 41001, errmsg: 'access_token missing' },
  missingCorpId: { errcode: 41002, errmsg: 'corpid missing' },
  missingSecret: { errcode: 41004, errmsg: 'corpsecret missing' },
  missingMediaId: { errcode: 41006, errmsg: 'media_id missing' },
  missingUrl: { errcode: 41010, errmsg: 'url missing' },
  missingAgentId: { errcode: 41011, errmsg: 'agentid missing' },
  missingTitle: { errcode: 41016, errmsg: 'title missing' },
  missingDescription: { errcode: 41033, errmsg: 'description missing' },
  tokenExpired: { errcode: 42001, errmsg: 'access_token expired' },
  /** simulated: WeCom documents no code for a reused response_url / response_code. */
  codeUsed: { errcode: 42022, errmsg: 'response_code already used (simulated)' },
  emptyMedia: { errcode: 44001, errmsg: 'empty media data' },
  emptyContent: { errcode: 44004, errmsg: 'empty content' },
  mediaTooLarge: { errcode: 45001, errmsg: 'media size out of limit' },
  contentTooLarge: { errcode: 45002, errmsg: 'content size out of limit' },
  tooManyArticles: { errcode: 45008, errmsg: 'article size out of limit' },
  rateLimited: { errcode: 45009, errmsg: 'api freq out of limit' },
  concurrencyLimited: { errcode: 45033, errmsg: 'api concurrent out of limit' },
  badFormat: { errcode: 47001, errmsg: 'data format error' },
  allInvalid: { errcode: 81013, errmsg: 'user & party & tag all invalid' },
  allEmpty: { errcode: 82001, errmsg: 'All touser & toparty & totag invalid' },
  tooManyParties: { errcode: 82002, errmsg: 'invalid party list size' },
  tooManyTags: { errcode: 82003, errmsg: 'invalid tag list size' },
  streamExpired: { errcode: 846608, errmsg: 'stream message update expired' },
} as const;

export type ErrcodeName = keyof typeof ERRCODES;

/** errmsg for a code, for injected faults that give only an errcode. */
export function errmsgFor(errcode: number): string {
  for (const entry of Object.values(ERRCODES)) if (entry.errcode === errcode) return entry.errmsg;
  return `simulated error ${errcode}`;
}

export interface ErrorBody {
  errcode: number;
  errmsg: string;
}

/** An errcode body with an optional detail appended to errmsg (WeCom appends a hint and a link). */
export function errorBody(name: ErrcodeName, detail?: string): ErrorBody {
  const { errcode, errmsg } = ERRCODES[name];
  return { errcode, errmsg: detail === undefined ? errmsg : `${errmsg}, ${detail}` };
}
