import { MemoryStore } from '@maven/wecom-core';
import { storeContract } from './store-contract.ts';

storeContract('MemoryStore (core)', () => {
  const store = new MemoryStore();
  return { store, peer: store };
});
