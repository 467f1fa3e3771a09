/**
 * The two kinds of subscriber the B rows consume with, both recording each delivery into a
 * shared `Tally` (count, and the publish-to-delivery latency when asked):
 *
 *   pull:    loops of  pull {max:100, waitMs} ──► ack {ackIds}  per subscription
 *   webhook: a node:http server answering 200 to each Notification, confirming its
 *            subscriptions when asked (as a customer's endpoint would)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Api } from './api.js';
import { nowUs, sentAtUs } from './payload.js';

/** Deliveries seen, and when the last arrived; latencies (µs) when `latencies` is set. */
export class Tally {
  delivered = 0;
  lastAt = 0;
  readonly latencies: number[] | null;
  /** Resolved when `delivered` reaches the target. */
  #target = Infinity;
  #reached: () => void = () => {};

  constructor(recordLatency: boolean) {
    this.latencies = recordLatency ? [] : null;
  }

  record(payload: unknown): void {
    this.delivered++;
    this.lastAt = performance.now();
    if (this.latencies) this.latencies.push(nowUs() - sentAtUs(payload));
    if (this.delivered >= this.#target) this.#reached();
  }

  /** Resolves when `target` deliveries were seen, or after `capMs` (false then). */
  reach(target: number, capMs: number): Promise<boolean> {
    if (this.delivered >= target) return Promise.resolve(true);
    this.#target = target;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), capMs);
      this.#reached = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

interface PulledMessage {
  ackId: string;
  payload: unknown;
}

/**
 * Runs `loops` pull-then-ack loops on each subscription until `stop()` is called. Several
 * loops per subscription let one pull while another acks. Resolves when every loop ended.
 */
export function pullConsumers(api: Api, subscriptions: readonly string[], tally: Tally, options: { loops: number; max: number; waitMs: number }): { stop(): void; done: Promise<void> } {
  let stopped = false;
  async function loop(sub: string): Promise<void> {
    while (!stopped) {
      const r = await api.expect<{ messages: PulledMessage[] }>(200, 'POST', `/v1/subscriptions/${sub}/pull`, { max: options.max, waitMs: options.waitMs });
      if (r.messages.length === 0) continue;
      for (const m of r.messages) tally.record(m.payload);
      await api.expect(200, 'POST', `/v1/subscriptions/${sub}/ack`, { ackIds: r.messages.map((m) => m.ackId) });
    }
  }
  const done = Promise.all(subscriptions.flatMap((sub) => Array.from({ length: options.loops }, () => loop(sub)))).then(() => undefined);
  return {
    stop: () => {
      stopped = true;
    },
    done,
  };
}

/**
 * A webhook endpoint: confirms subscriptions (answer first, then call confirm, as a customer
 * would) and records each Notification. It does not check signatures: that is the
 * subscriber's CPU, and here it would share the cores the broker is measured on.
 */
export class WebhookSink {
  readonly #server: Server;
  url = '';

  private constructor(api: Api, tally: Tally) {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200).end();
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (body.type === 'SubscriptionConfirmation') {
          void api.expect(200, 'POST', `/v1/subscriptions/${body.subscriptionId}/confirm`, { token: body.token });
        } else {
          tally.record(body.payload);
        }
      });
    });
    // Keep the broker's connections open between deliveries, as a production endpoint would.
    this.#server.keepAliveTimeout = 30_000;
  }

  static async start(api: Api, tally: Tally): Promise<WebhookSink> {
    const sink = new WebhookSink(api, tally);
    await new Promise<void>((resolve) => sink.#server.listen(0, '127.0.0.1', resolve));
    sink.url = `http://127.0.0.1:${(sink.#server.address() as AddressInfo).port}/hook`;
    return sink;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
