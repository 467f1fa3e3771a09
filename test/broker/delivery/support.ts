/**
 * Test support for webhook delivery: real subscriber servers on 127.0.0.1, and a broker slice
 * (a real actor system with the store server and the Delivery tree) to deliver to them.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { GenServer, Supervisor } from '../../../actors/index.js';
import { start, type ActorSystem, type Pid } from '../../../runtime/index.js';
import { Delivery, notifyPublished, verifySignature, type DeliveryOptions } from '../../../broker/delivery/index.js';
import { StoreServer, STORE_SERVER, storeCall } from '../../../broker/store/store-server.js';
import type { StoreConfig } from '../../../broker/store/index.js';
import type { NewMessage, SubscriptionRecord } from '../../../broker/store/types.js';
import { DEFAULT_BACKOFF } from '../../../broker/delivery/backoff.js';
import { eventually } from '../../support/receive.js';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
  readonly body: any;
  /** The signature header checked against the raw bytes with the subscription's secret. */
  readonly signatureOk: boolean;
}

/** How a hook answers one request: a status, 'hang' (never answers), or 'hold' (answers when released). */
export type Answer = number | 'hang' | 'hold';

/** A webhook subscriber: records every request, answers by `answer`. */
export class Hook {
  readonly received: Received[] = [];
  readonly #held: { res: ServerResponse; received: Received }[] = [];
  readonly #server: Server;
  answer: (r: Received) => Answer;
  url = '';

  private constructor(readonly secret: string, answer: (r: Received) => Answer) {
    this.answer = answer;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(answer: (r: Received) => Answer = () => 200, secret = `s-${randomUUID()}`): Promise<Hook> {
    const hook = new Hook(secret, answer);
    await new Promise<void>((resolve) => hook.#server.listen(0, '127.0.0.1', resolve));
    hook.url = `http://127.0.0.1:${(hook.#server.address() as AddressInfo).port}/hook`;
    return hook;
  }

  async #handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const received: Received = {
      headers: req.headers,
      raw,
      body: JSON.parse(raw.toString('utf8')),
      signatureOk: verifySignature(this.secret, raw, req.headers['x-postbox-signature'] as string),
    };
    this.received.push(received);
    const answer = this.answer(received);
    if (answer === 'hang') return;
    if (answer === 'hold') {
      this.#held.push({ res, received });
      return;
    }
    res.statusCode = answer;
    res.end('{}');
  }

  /** Requests held by 'hold', oldest first. */
  get held(): readonly Received[] {
    return this.#held.map((h) => h.received);
  }

  /** Answers every held request with `status`. */
  releaseHeld(status = 200): void {
    for (const h of this.#held.splice(0)) h.res.writeHead(status).end('{}');
  }

  /** Notifications received (confirmations apart). */
  notifications(): any[] {
    return this.received.filter((r) => r.body.type === 'Notification').map((r) => r.body);
  }

  async close(): Promise<void> {
    this.#held.splice(0);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A URL where nothing listens (connection refused). */
export async function deadEndpoint(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}/gone`;
}

/** Delivery options for tests: short timeouts and polls. */
export const FAST: DeliveryOptions = { deliveryTimeoutMs: 2_000, leaseMarginMs: 5_000, pollMs: 50, holdBackMs: 20 };

/** A running broker slice: actor system, store server, Delivery tree. */
export class Slice {
  private constructor(
    readonly system: ActorSystem,
    readonly delivery: Pid,
  ) {}

  static async start(opts: { store: StoreConfig; schedulers?: number; delivery?: DeliveryOptions }): Promise<Slice> {
    const system = await start({ logLevel: 'silent', schedulers: opts.schedulers ?? 0, shutdownTimeoutMs: 500 });
    try {
      const store = await GenServer.start(system, StoreServer, opts.store, { name: STORE_SERVER, scheduler: 0 });
      if (!store.ok) throw new Error(`store server did not start: ${String(store.error)}`);
      const delivery = await Supervisor.start(system, Delivery, { ...FAST, ...opts.delivery }, { scheduler: 0 });
      if (!delivery.ok) throw new Error(`delivery did not start: ${String(delivery.error)}`);
      const slice = new Slice(system, delivery.pid);
      await slice.#warmUp();
      return slice;
    } catch (e) {
      await system.shutdown();
      throw e;
    }
  }

  /**
   * Delivers a few messages first, so every scheduler thread has loaded the delivery task's
   * modules before a test counts on its leases: a cold thread can take longer than the short
   * leases some tests use.
   */
  async #warmUp(): Promise<void> {
    const hook = await Hook.start();
    try {
      await this.topic('warm-up');
      const sub = await this.subscribe('warm-up', hook.url, hook.secret);
      await this.publish('warm-up', Array.from({ length: 4 }, (_, i) => ({ json: i })));
      await this.until(sub.id, (s) => s.delivered === 4, 'warm-up delivered');
      await storeCall(this.system, 'deleteTopic', 'warm-up');
    } finally {
      await hook.close();
    }
  }

  async topic(name: string, maxAttempts = 10): Promise<void> {
    await storeCall(this.system, 'createTopic', { name, options: { messageTtlMs: 3_600_000, maxAttempts, dedupWindowMs: 60_000 }, createdAt: Date.now() });
  }

  /** An active http subscription to `hook`'s URL (or any URL). */
  async subscribe(topic: string, endpoint: string, secret: string, over: Partial<SubscriptionRecord> = {}): Promise<SubscriptionRecord> {
    const sub: SubscriptionRecord = {
      id: `sub-${randomUUID()}`,
      topic,
      protocol: 'http',
      endpoint,
      filter: null,
      maxAttempts: 10,
      backoff: DEFAULT_BACKOFF,
      ackDeadlineMs: 30_000,
      status: 'pending',
      secret,
      confirmToken: 'token',
      createdAt: Date.now(),
      activatedAt: null,
      ...over,
    };
    const r = await storeCall(this.system, 'createSubscription', sub);
    if (!r.ok) throw new Error(r.error);
    return (await storeCall(this.system, 'activateSubscription', sub.id, Date.now()))!;
  }

  async publish(topic: string, messages: Array<Partial<NewMessage> & { json?: unknown }>): Promise<string[]> {
    const full: NewMessage[] = messages.map(({ json, ...m }) => ({
      id: randomUUID(),
      payload: new TextEncoder().encode(JSON.stringify(json ?? null)),
      encoding: 'json',
      attributes: {},
      routingKey: '',
      ttlMs: null,
      idempotencyKey: null,
      ...m,
    }));
    const results = await storeCall(this.system, 'publish', topic, full, Date.now());
    if (!results?.every((r) => r.ok)) throw new Error(`publish failed: ${JSON.stringify(results)}`);
    notifyPublished(this.system, topic);
    return full.map((m) => m.id);
  }

  stats(subscriptionId: string) {
    return storeCall(this.system, 'subscriptionStats', subscriptionId);
  }

  /** Waits until the subscription's stats satisfy `cond` (polling the store). */
  async until(subscriptionId: string, cond: (s: NonNullable<Awaited<ReturnType<Slice['stats']>>>) => boolean, what: string, ms = 15_000): Promise<void> {
    let last: unknown;
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await this.stats(subscriptionId);
      last = s;
      if (s && cond(s)) return;
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms; last stats: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    await this.system.shutdown();
  }
}

export { eventually };
