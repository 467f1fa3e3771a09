/**
 * A webhook subscriber as a customer would run one: a real HTTP server on 127.0.0.1 that
 * answers the confirmation request by calling `confirm` on the broker, checks each
 * notification's signature with its own HMAC (not the broker's code), and records them.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiClient } from './http-client.js';

export interface Notification {
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
  readonly signatureOk: boolean;
}

/** What the subscriber answers a notification: a status code, or 'drop' (close the socket). */
export type Reply = number | 'drop';

export class Subscriber {
  readonly notifications: Notification[] = [];
  readonly confirmations: any[] = [];
  secret = '';
  url = '';
  reply: (n: Notification) => Reply = () => 200;
  readonly #server: Server;

  private constructor(readonly api: ApiClient) {
    this.#server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString('utf8'));
      if (body.type === 'SubscriptionConfirmation') {
        this.confirmations.push(body);
        res.writeHead(200).end();
        // As a subscriber would: confirm with the token, after answering.
        void api.call('POST', `/v1/subscriptions/${body.subscriptionId}/confirm`, { token: body.token });
        return;
      }
      const expected = createHmac('sha256', Buffer.from(this.secret, 'utf8')).update(raw).digest('hex');
      const n: Notification = { headers: req.headers, body, signatureOk: req.headers['x-postbox-signature'] === expected };
      this.notifications.push(n);
      const reply = this.reply(n);
      if (reply === 'drop') req.socket.destroy();
      else res.writeHead(reply).end();
    });
  }

  static async start(api: ApiClient): Promise<Subscriber> {
    const s = new Subscriber(api);
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.#server.address() as AddressInfo).port}/hook`;
    return s;
  }

  /** Subscribes to `topic` and waits until the confirmation made it active. */
  async subscribe(topic: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await this.api.call('POST', `/v1/topics/${topic}/subscriptions`, { protocol: 'http', endpoint: this.url, ...extra });
    if (r.status !== 201) throw new Error(`subscribe: ${r.status} ${JSON.stringify(r.body)}`);
    this.secret = r.body.secret;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const s = await this.api.call('GET', `/v1/subscriptions/${r.body.id}`);
      if (s.body.status === 'active') return r.body.id;
      if (Date.now() > deadline) throw new Error(`subscription ${r.body.id} was not confirmed`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
