/**
 * Who is calling, and may they: `Authorization: Bearer <key>` → a `Principal`.
 *
 *   request ──Bearer key──► sha256 ──equal to the admin key's hash?──► bootstrap admin
 *                                  └─► LRU by hash ──miss──► service.findKeyByHash ──► Principal
 *
 * Keys are never stored, only their SHA-256 (store/types.ts `ApiKeyRecord.keyHash`); the admin
 * key from the command line is not stored at all and is compared as a hash with
 * `timingSafeEqual`, so the comparison takes the same time wherever the first wrong byte is.
 * Only known keys are cached (an unknown key always asks the store, so a key created on
 * another path is never refused from the cache); entries live at most `KEY_CACHE_TTL_MS`,
 * which bounds how long a key deleted elsewhere keeps working. A key deleted through this
 * frontend is dropped at once (`forget`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { compileFilter, type FilterMatcher } from '../routing/topic-filter.js';
import type { ApiKeyRecord, Role } from '../store/types.js';
import type { BrokerService } from '../service.js';
import { ApiError, forbidden } from './errors.js';

export const KEY_CACHE_TTL_MS = 60_000;
const MAX_KEY_CHARS = 512;

/** An authenticated caller. `bootstrap` is the operator's admin key (never throttled). */
export interface Principal {
  readonly kind: 'bootstrap' | 'key';
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** Compiled `topics` patterns over topic names; null: every topic. */
  readonly topics: readonly FilterMatcher[] | null;
  /** The key's own rate; null: the server default applies. */
  readonly ratePerSec: number | null;
}

const BOOTSTRAP_ADMIN: Principal = Object.freeze({ kind: 'bootstrap', id: 'admin', name: 'admin', role: 'admin', topics: null, ratePerSec: null });

/** SHA-256 hex of a secret key: what the store keeps and looks keys up by. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const unauthorized = (message: string): ApiError =>
  new ApiError(401, 'unauthorized', message, { 'www-authenticate': 'Bearer realm="postbox"' });

export class Authenticator {
  readonly #service: Pick<BrokerService, 'findKeyByHash'>;
  readonly #adminHash: Buffer;
  readonly #cache: LRUCache<string, Principal>;
  /** Bumped by `forget`: a lookup that started before a deletion must not re-cache the key. */
  #generation = 0;

  constructor(service: Pick<BrokerService, 'findKeyByHash'>, adminKey: string, cacheSize = 10_000) {
    if (typeof adminKey !== 'string' || adminKey.length === 0) throw new TypeError('expected a non-empty admin key');
    this.#service = service;
    this.#adminHash = createHash('sha256').update(adminKey, 'utf8').digest();
    this.#cache = new LRUCache({ max: cacheSize, ttl: KEY_CACHE_TTL_MS });
  }

  /** The caller of a request with this Authorization header; throws 401 for none or an unknown key. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    const key = bearerKey(authorization);
    const digest = createHash('sha256').update(key, 'utf8').digest();
    if (timingSafeEqual(digest, this.#adminHash)) return BOOTSTRAP_ADMIN;
    const keyHash = digest.toString('hex');
    const cached = this.#cache.get(keyHash);
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const record = await this.#service.findKeyByHash(keyHash);
    if (record === undefined) throw unauthorized('unknown API key');
    const principal = principalOf(record);
    if (generation === this.#generation) this.#cache.set(keyHash, principal);
    return principal;
  }

  /** Drops a deleted key from the cache, so its next request is refused. */
  forget(keyId: string): void {
    this.#generation++;
    for (const [hash, principal] of this.#cache.entries()) {
      if (principal.id === keyId) this.#cache.delete(hash);
    }
  }
}

function bearerKey(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') throw unauthorized('missing Authorization: Bearer <key>');
  const space = authorization.indexOf(' ');
  const scheme = space < 0 ? authorization : authorization.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') throw unauthorized('expected Authorization: Bearer <key>');
  const key = authorization.slice(space + 1).trim();
  if (space < 0 || key.length === 0 || key.length > MAX_KEY_CHARS) throw unauthorized('expected Authorization: Bearer <key>');
  return key;
}

function principalOf(record: ApiKeyRecord): Principal {
  return Object.freeze({
    kind: 'key',
    id: record.id,
    name: record.name,
    role: record.role,
    // Patterns were validated when the key was created (routes/keys.ts).
    topics: record.topics === null ? null : record.topics.map(compileFilter),
    ratePerSec: record.ratePerSec,
  });
}

// ── authorisation ─────────────────────────────────────────────────────────────────────

/** Throws 403 unless the caller has one of `roles` (admin always passes). */
export function requireRole(principal: Principal, roles: readonly Role[]): void {
  if (principal.role === 'admin' || roles.includes(principal.role)) return;
  throw forbidden(`key "${principal.name}" has role ${principal.role}; this needs ${roles.join(' or ')}`);
}

/** True when the caller's `topics` patterns let it use `topic` (admin: every topic). */
export function mayUseTopic(principal: Principal, topic: string): boolean {
  if (principal.role === 'admin' || principal.topics === null) return true;
  for (const pattern of principal.topics) if (pattern.matches(topic)) return true;
  return false;
}

export function authorizeTopic(principal: Principal, topic: string): void {
  if (!mayUseTopic(principal, topic)) throw forbidden(`key "${principal.name}" may not use topic "${topic}"`);
}
