/** Temporary media of the app API (`media/upload`, `media/get`): valid 3 days, shared by the corp. */
import { randomCode } from '../random.js';

export const MEDIA_ID_TTL_MS = 3 * 24 * 60 * 60 * 1000;

/** Size caps per type (docs/protocol.md §4.7; image uses the newer 10 MB figure). */
export const MEDIA_LIMITS: Record<string, number> = {
  image: 10 * 1024 * 1024,
  voice: 2 * 1024 * 1024,
  video: 10 * 1024 * 1024,
  file: 20 * 1024 * 1024,
};

export interface UploadedMedia {
  mediaId: string;
  type: string;
  filename: string;
  contentType: string;
  data: Buffer;
  createdAt: number;
  corpId: string;
}

export class MediaStore {
  readonly #items = new Map<string, UploadedMedia>();

  constructor(private readonly now: () => number) {}

  add(item: Omit<UploadedMedia, 'mediaId' | 'createdAt'>): UploadedMedia {
    const stored: UploadedMedia = { ...item, mediaId: `3${randomCode(30)}`, createdAt: this.now() };
    this.#items.set(stored.mediaId, stored);
    return stored;
  }

  /** A live media id of this corp, or undefined. */
  get(mediaId: string, corpId: string): UploadedMedia | undefined {
    const item = this.#items.get(mediaId);
    if (item === undefined || item.corpId !== corpId) return undefined;
    return this.now() - item.createdAt >= MEDIA_ID_TTL_MS ? undefined : item;
  }

  list(): UploadedMedia[] {
    return [...this.#items.values()];
  }
}
