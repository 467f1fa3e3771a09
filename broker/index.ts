/**
 * The broker's public surface (docs/broker.md): start a broker in this process, and the
 * foundations it is built on — routing filters, the metadata hash ring, delivery backoff,
 * webhook signatures and the message store.
 */
export { startBroker } from './server/broker.js';
export type { BrokerOptions, RunningBroker } from './server/broker.js';
export { parseServerConfig } from './server/config.js';
export type { ServerConfig } from './server/config.js';
export type { BrokerService } from './service.js';
export { sign, verifySignature, HEADER_ATTEMPT, HEADER_MESSAGE_ID, HEADER_SIGNATURE } from './delivery/index.js';
export type { DeliveryOptions, Notification, SubscriptionConfirmation } from './delivery/index.js';
export { compileFilter, validateFilter, matchesOptionalFilter, InvalidFilterError, MAX_FILTER_LENGTH } from './routing/topic-filter.js';
export type { FilterMatcher, FilterProblem } from './routing/topic-filter.js';
export { HashRing, stableHash, DEFAULT_VIRTUAL_NODES } from './metadata/hash-ring.js';
export { backoffDelay, backoffCeiling, parseBackoff, DEFAULT_BACKOFF, BACKOFF_LIMITS } from './delivery/backoff.js';
export type { BackoffPolicy, BackoffResult, RandomSource } from './delivery/backoff.js';
export { openStore, contentHash, isPushProtocol } from './store/index.js';
export type * from './store/index.js';
