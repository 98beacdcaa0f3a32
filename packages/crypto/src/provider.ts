/**
 * What a runtime must provide: SHA-1, raw AES-256-CBC without padding (input is whole 16-byte
 * blocks), random bytes and base64. Results must be byte-identical across providers.
 */
export type MaybePromise<T> = T | Promise<T>;

export interface AesContext {
  /**
   * Encrypts whole blocks (already padded) with the context's key and IV; no padding added. Every
   * call starts from the IV, whatever came before. Throws `encrypt_failed` on a partial block.
   */
  encrypt(data: Uint8Array): MaybePromise<Uint8Array>;
  /** Decrypts whole blocks with the context's key and IV; no padding removed. Throws `decrypt_failed` on a partial block. */
  decrypt(data: Uint8Array): MaybePromise<Uint8Array>;
}

/**
 * A running AES-256-CBC decryption without padding: each call takes whole blocks and continues the
 * chain where the previous call ended (the first call chains from the IV). For streamed media.
 */
export interface CbcDecipher {
  update(data: Uint8Array): MaybePromise<Uint8Array>;
}

export interface CryptoProvider {
  readonly name: string;
  /** Lowercase hex SHA-1 of the UTF-8 encoding of the parts, concatenated. */
  sha1Hex(...parts: string[]): MaybePromise<string>;
  /** A long-lived AES-256-CBC context for one 32-byte key and 16-byte IV. */
  createAes(key: Uint8Array, iv: Uint8Array): AesContext;
  /**
   * A running CBC decipher for one key and IV. Optional: without it, streamed media is decrypted
   * through `createAes`, block 0 of each call corrected for the chaining value.
   */
  createCbcDecipher?(key: Uint8Array, iv: Uint8Array): CbcDecipher;
  /** `length` bytes from a CSPRNG, in a new array the caller owns. */
  randomBytes(length: number): Uint8Array;
  /** Standard, padded base64. */
  base64Encode(bytes: Uint8Array): string;
  /**
   * Decodes canonical standard base64 only (what `base64Encode` produces); anything else throws
   * `WeComCryptoError('decode_base64_failed')`. Both providers accept exactly the same strings.
   */
  base64Decode(text: string): Uint8Array;
  /**
   * Strict UTF-8 decoding: a leading BOM is kept, invalid sequences throw
   * `WeComCryptoError('invalid_buffer')`.
   */
  utf8Decode(bytes: Uint8Array): string;
}

/** A provider whose operations all complete synchronously (the Node provider). */
export interface SyncCryptoProvider extends CryptoProvider {
  sha1Hex(...parts: string[]): string;
  createAes(key: Uint8Array, iv: Uint8Array): SyncAesContext;
}

export interface SyncAesContext extends AesContext {
  encrypt(data: Uint8Array): Uint8Array;
  decrypt(data: Uint8Array): Uint8Array;
}
