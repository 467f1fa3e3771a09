/**
 * The BrokerService as routes see it: the same methods, but a rejection (a component down, a
 * call that timed out — service.ts: "methods reject only on internal failure") becomes a 503
 * `unavailable` ApiError carrying the original as `cause`. Routes then need no try/catch, and
 * a bug in a route (a TypeError) still surfaces as a 500, not disguised as a 503.
 */
import type { BrokerService } from '../service.js';
import { unavailable } from './errors.js';

type AsyncMethods = Exclude<keyof BrokerService, 'onTopicChanged'>;

const ASYNC_METHODS: readonly AsyncMethods[] = [
  'ready', 'createKey', 'deleteKey', 'findKeyByHash',
  'createTopic', 'getTopic', 'listTopics', 'topicStats', 'deleteTopic', 'publish',
  'createSubscription', 'getSubscription', 'subscriptionStats', 'deleteSubscription', 'confirmSubscription',
  'pull', 'ack', 'nack', 'listDeadLetters', 'redrive',
];

export function guardService(service: BrokerService): BrokerService {
  const guarded: Record<string, unknown> = {
    onTopicChanged: (listener: (topic: string) => void) => service.onTopicChanged(listener),
  };
  for (const name of ASYNC_METHODS) {
    const method = service[name] as (...args: unknown[]) => Promise<unknown>;
    if (typeof method !== 'function') throw new TypeError(`expected a BrokerService with method ${name}`);
    guarded[name] = (...args: unknown[]): Promise<unknown> => {
      let pending: Promise<unknown>;
      try {
        pending = method.apply(service, args);
      } catch (error) {
        return Promise.reject(unavailable(error));
      }
      return pending.catch(rethrowUnavailable);
    };
  }
  return guarded as unknown as BrokerService;
}

function rethrowUnavailable(error: unknown): never {
  throw unavailable(error);
}
