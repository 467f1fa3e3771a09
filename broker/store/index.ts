/**
 * The broker's temporary storage: open a backend, get a `MessageStore`.
 * Backends: `memory` (tests only: nothing survives the process) and `lmdb` (embedded,
 * durable, the default). Contract and record types: types.ts.
 */
import { KvMessageStore } from './kv-store.js';
import { LmdbEngine } from './lmdb-engine.js';
import { MemoryEngine } from './memory-engine.js';
import type { MessageStore } from './types.js';

export type StoreConfig = { readonly backend: 'memory' } | { readonly backend: 'lmdb'; readonly path: string };

/** Opens a store; for lmdb, `path` is a directory that is created if missing and reused
 * as it is (everything accepted before a crash or close is there again). */
export function openStore(config: StoreConfig): MessageStore {
  switch (config.backend) {
    case 'memory':
      return new KvMessageStore(new MemoryEngine());
    case 'lmdb':
      return new KvMessageStore(new LmdbEngine(config.path));
    default:
      throw new TypeError(`expected store backend "memory" or "lmdb", got: ${String((config as { backend: unknown }).backend)}`);
  }
}

export { contentHash } from './kv-store.js';
export { isPushProtocol } from './types.js';
export type * from './types.js';
