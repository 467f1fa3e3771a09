import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BACKOFF } from '../../broker/delivery/backoff.js';
import { openStore, type MessageStore, type NewMessage, type SubscriptionRecord, type TopicRecord } from '../../broker/store/index.js';

/** A backend under test: open a fresh store, and reopen the same data where the backend keeps any. */
export interface BackendFixture {
  readonly name: string;
  open(): MessageStore;
  /** A second store over the same data, after the first was closed; null for memory. */
  reopen: (() => MessageStore) | null;
  cleanup(): void;
}

export const backends: Array<{ name: string; make: () => BackendFixture }> = [
  {
    name: 'memory',
    make: () => ({ name: 'memory', open: () => openStore({ backend: 'memory' }), reopen: null, cleanup: () => {} }),
  },
  {
    name: 'lmdb',
    make: () => {
      const dir = tempDir();
      return {
        name: 'lmdb',
        open: () => openStore({ backend: 'lmdb', path: dir }),
        reopen: () => openStore({ backend: 'lmdb', path: dir }),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'postbox-store-'));
}

export const T0 = Date.UTC(2026, 0, 1);

export function topic(name: string, options: Partial<TopicRecord['options']> = {}): TopicRecord {
  return { name, options: { messageTtlMs: 86_400_000, maxAttempts: 10, dedupWindowMs: 300_000, ...options }, createdAt: T0 };
}

let subSerial = 0;
export function subscription(topicName: string, over: Partial<SubscriptionRecord> = {}): SubscriptionRecord {
  const protocol = over.protocol ?? 'pull';
  const push = protocol === 'http' || protocol === 'https';
  return {
    id: `sub-${++subSerial}`,
    topic: topicName,
    protocol,
    endpoint: push ? 'http://127.0.0.1:9/hook' : null,
    filter: null,
    maxAttempts: 3,
    backoff: DEFAULT_BACKOFF,
    ackDeadlineMs: 30_000,
    status: push ? 'pending' : 'active',
    secret: 'secret',
    confirmToken: push ? 'token' : null,
    createdAt: T0,
    activatedAt: push ? null : T0,
    ...over,
  };
}

let messageSerial = 0;
export function message(over: Partial<NewMessage> & { text?: string } = {}): NewMessage {
  const { text, ...rest } = over;
  return {
    id: `m-${++messageSerial}`,
    payload: new TextEncoder().encode(text ?? 'hello'),
    encoding: 'json',
    attributes: {},
    routingKey: '',
    ttlMs: null,
    idempotencyKey: null,
    ...rest,
  };
}

export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
