export type {
  IoRedisClientLike,
  NodeRedisClientLike,
  RedisClientKind,
  RedisClientLike,
} from './drivers.js';
export {
  type StoreErrorCode,
  type StoreOperation,
  WeComStoreError,
  type WeComStoreErrorOptions,
} from './errors.js';
export { createRedisStore, RedisStore, type RedisStoreOptions } from './redis-store.js';
