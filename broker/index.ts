/**
 * The broker's public surface. For now: its foundations — routing filters, the metadata
 * hash ring, delivery backoff and the message store. The server, its actors and the client
 * come on top of these (docs/broker.md).
 */
export { compileFilter, validateFilter, matchesOptionalFilter, InvalidFilterError, MAX_FILTER_LENGTH } from './routing/topic-filter.js';
export type { FilterMatcher, FilterProblem } from './routing/topic-filter.js';
export { HashRing, stableHash, DEFAULT_VIRTUAL_NODES } from './metadata/hash-ring.js';
export { backoffDelay, backoffCeiling, parseBackoff, DEFAULT_BACKOFF, BACKOFF_LIMITS } from './delivery/backoff.js';
export type { BackoffPolicy, BackoffResult, RandomSource } from './delivery/backoff.js';
export { openStore, contentHash, isPushProtocol } from './store/index.js';
export type * from './store/index.js';
