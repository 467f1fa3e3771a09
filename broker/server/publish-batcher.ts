/**
 * Gathers the publishes of one event-loop turn into one store call.
 *
 *   HTTP request ─► publish(topic, msgs) ─┐
 *   HTTP request ─► publish(topic, msgs) ─┼─ queued this turn ── setImmediate ──► storeCallBatch
 *   HTTP request ─► publish(topic, msgs) ─┘                                      (one actor call,
 *                                                                                  N store publishes)
 *
 * Requests that arrive together are parsed in the same poll phase, and setImmediate runs right
 * after it: under load a batch holds every request of the turn, and an idle broker adds no delay
 * (a lone publish goes out at the end of its own turn). Each publish keeps its own store write
 * (lmdb commits them together), its own answer and its own failure.
 */
import type { Caller } from '../../actors/index.js';
import { storeCallBatch, type StoreBatchItem } from '../store/store-server.js';
import type { Millis, NewMessage, PublishResult } from '../store/types.js';

type PublishOutcome = PublishResult[] | undefined;

interface Queued {
  readonly item: StoreBatchItem<'publish'>;
  readonly resolve: (outcome: PublishOutcome) => void;
  readonly reject: (error: unknown) => void;
}

export class PublishBatcher {
  readonly #caller: Caller;
  readonly #clock: () => Millis;
  #queue: Queued[] = [];

  constructor(caller: Caller, clock: () => Millis = Date.now) {
    this.#caller = caller;
    this.#clock = clock;
  }

  /** Like `storeCall(caller, 'publish', topic, messages, now)`, sent with this turn's others. */
  publish(topic: string, messages: readonly NewMessage[]): Promise<PublishOutcome> {
    return new Promise((resolve, reject) => {
      if (this.#queue.length === 0) setImmediate(() => this.#flush());
      this.#queue.push({ item: { op: 'publish', args: [topic, messages, this.#clock()] }, resolve, reject });
    });
  }

  #flush(): void {
    const queued = this.#queue;
    this.#queue = [];
    storeCallBatch(this.#caller, queued.map((q) => q.item)).then(
      (outcomes) =>
        outcomes.forEach((outcome, i) => {
          if (outcome instanceof Error) queued[i]!.reject(outcome);
          else queued[i]!.resolve(outcome as PublishOutcome);
        }),
      // The call itself failed (the store server is restarting, or timed out): every publish
      // of the batch gets that error, as each would have from its own call.
      (error: unknown) => queued.forEach((q) => q.reject(error)),
    );
  }
}
