/**
 * The official WXBizMsgCrypt vectors, in the shapes these tests use. The values live once, in the
 * crypto package's test vectors (shared/PROTOCOL.md §1.3–1.5).
 */
import { A2, BOT, A1 as CRYPTO_A1, SET_A as CRYPTO_SET_A, SET_B } from '../../crypto/test/vectors.ts';

export { A2 };

export const SET_A = {
  token: CRYPTO_SET_A.token,
  encodingAESKey: CRYPTO_SET_A.encodingAESKey,
  corpId: CRYPTO_SET_A.receiveId,
} as const;

export const A1 = { ...CRYPTO_A1, search: `?${CRYPTO_A1.rawQuery}` } as const;

/** Self-generated AI-bot vector (receiveId ''), PROTOCOL.md §1.5. */
export const BOT_VECTOR = BOT;

/** A second, unrelated key set for tests that need "the wrong key". */
export const OTHER = { token: SET_B.token, encodingAESKey: SET_B.encodingAESKey } as const;
