/**
 * The registered names of the broker's components: how they find one another across threads
 * and across restarts (a restarted component registers the same name; a pid would go stale).
 */
export { STORE_SERVER } from '../store/store-server.js';

/** The frontend actor (owns the HTTP server; receives topic-change notices for its cache). */
export const FRONTEND = 'postbox.frontend';
/** The pull server (long polls of pull subscriptions). */
export const PULL_SERVER = 'postbox.pull';
/** Metadata shard `i` of the ring. */
export const shardName = (index: number): string => `postbox.shard.${index}`;
