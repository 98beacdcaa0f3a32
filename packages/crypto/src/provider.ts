/**
 * What a runtime must provide: SHA-1, raw AES-256-CBC without padding (input is whole 16-byte
 * blocks), random bytes and base64. Results must be byte-identical across providers.
 */
export type MaybePromise<T> = T | Promise<T>;

export interface AesContext {
  /** Encrypts whole blocks (already padded) with the context's key and IV; no padding added. */
  encrypt(data: Uint8Array): MaybePromise<Uint8Array>;
  /** Decrypts whole blocks with the context's key and IV; no padding removed. */
  decrypt(data: Uint8Array): MaybePromise<Uint8Array>;
}

export interface CryptoProvider {
  readonly name: string;
  sha1Hex(text: string): MaybePromise<string>;
  /** A long-lived AES-256-CBC context for one key and IV. */
  createAes(key: Uint8Array, iv: Uint8Array): AesContext;
  randomBytes(length: number): Uint8Array;
  base64Encode(bytes: Uint8Array): string;
  /** Decodes input already checked to be canonical base64. */
  base64Decode(text: string): Uint8Array;
  timingSafeEqual(a: string, b: string): boolean;
}

/** A provider whose operations all complete synchronously (the Node provider). */
export interface SyncCryptoProvider extends CryptoProvider {
  sha1Hex(text: string): string;
  createAes(key: Uint8Array, iv: Uint8Array): SyncAesContext;
}

export interface SyncAesContext extends AesContext {
  encrypt(data: Uint8Array): Uint8Array;
  decrypt(data: Uint8Array): Uint8Array;
}
