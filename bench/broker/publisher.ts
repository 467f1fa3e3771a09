/**
 * Publishes messages with a bounded number of requests in flight, either as fast as the broker
 * answers or at a fixed rate, and stops at `count` messages or at the wall-time cap, whichever
 * comes first. Every answer must be a 202, except a 503, which the broker sends when a store
 * commit failed and nothing of the request was accepted: like a real client, the publisher
 * waits the answer's Retry-After and sends the request again (at most MAX_RETRIES times), and
 * reports how many it resent. Single messages by default
 * (POST /v1/topics/:topic/messages); with `batchSize`, batches of that many
 * (POST /v1/topics/:topic/batch), every entry of which must be accepted.
 */
import type { Api } from './api.js';
import { batchBody, nowUs, publishBody } from './payload.js';

export interface PublishPlan {
  /** Topic of the i-th message. */
  readonly topicOf: (i: number) => string;
  readonly count: number;
  /** Requests in flight at most. */
  readonly concurrency: number;
  /** Stop sending after this long (ms), and report what completed. */
  readonly capMs: number;
  /** Messages per second; absent: as fast as answers come back. */
  readonly ratePerSec?: number;
  /** Messages per request (batch publish); absent: single-message publishes. */
  readonly batchSize?: number;
}

export interface PublishOutcome {
  /** Messages answered 202. */
  readonly published: number;
  /** From the first send to the last 202. */
  readonly ms: number;
  /** True when the cap stopped the run before `count`. */
  readonly capped: boolean;
  /** Requests answered 503 and sent again. */
  readonly retried: number;
}

const MAX_RETRIES = 5;

export async function publish(api: Api, plan: PublishPlan): Promise<PublishOutcome> {
  const t0 = performance.now();
  const stopAt = t0 + plan.capMs;
  let next = 0;
  let published = 0;
  let last = t0;
  let capped = false;
  let retried = 0;

  const batch = plan.batchSize ?? 1;
  async function worker(): Promise<void> {
    for (;;) {
      const i = next;
      if (i >= plan.count) return;
      const size = Math.min(batch, plan.count - i);
      next += size;
      if (plan.ratePerSec !== undefined) {
        // Open-loop pacing: message i is due at t0 + i/rate, whatever the answers' speed.
        const wait = t0 + (i * 1000) / plan.ratePerSec - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      if (performance.now() > stopAt) {
        capped = true;
        return;
      }
      const send = (): Promise<{ status: number; body: unknown; retryAfterS?: number }> =>
        plan.batchSize === undefined
          ? api.call('POST', `/v1/topics/${plan.topicOf(i)}/messages`, publishBody(nowUs()))
          : api.call<{ results: { id?: string }[] }>('POST', `/v1/topics/${plan.topicOf(i)}/batch`, batchBody(nowUs(), size));
      let r = await send();
      for (let attempt = 1; r.status === 503 && attempt <= MAX_RETRIES; attempt++) {
        retried++;
        await new Promise((resolve) => setTimeout(resolve, (r.retryAfterS ?? 1) * 1000));
        r = await send();
      }
      if (r.status !== 202) throw new Error(`publish ${i}: expected 202, got ${r.status} ${JSON.stringify(r.body)}`);
      if (plan.batchSize !== undefined && (r.body as { results: { id?: string }[] }).results.some((x) => x.id === undefined)) throw new Error(`batch ${i}: an entry was refused: ${JSON.stringify(r.body)}`);
      published += size;
      last = performance.now();
    }
  }

  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  return { published, ms: last - t0, capped, retried };
}
