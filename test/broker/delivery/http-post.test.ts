/**
 * The webhook POST (broker/delivery/http.ts) against real node:http servers on 127.0.0.1: its
 * outcome for each way an endpoint can answer or fail, and that it keeps connections alive.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ANSWER_BYTES, post } from '../../../broker/delivery/http.js';
import type { SignedRequest } from '../../../broker/delivery/notification.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function endpoint(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?x=1`, connections: () => connections };
}

const request: SignedRequest = { body: Buffer.from('{"type":"Notification","n":"é"}'), headers: { 'content-type': 'application/json; charset=utf-8', 'x-postbox-signature': 'sha256=ab' } };

describe('post (webhook delivery over undici)', () => {
  it('a 2xx is ok; the endpoint gets the path, the headers and the exact body bytes', async () => {
    let seen: { url?: string; ua?: string; sig?: string; body?: string } = {};
    const { url } = await endpoint((req, res, body) => {
      seen = { url: req.url, ua: req.headers['user-agent'], sig: req.headers['x-postbox-signature'] as string, body };
      res.writeHead(204).end();
    });
    expect(await post(url, request, 2_000)).toEqual({ ok: true, status: 204 });
    expect(seen).toEqual({ url: '/hook?x=1', ua: 'postbox-webhook/1', sig: 'sha256=ab', body: '{"type":"Notification","n":"é"}' });
  });

  it('any other status fails with it', async () => {
    const { url } = await endpoint((_req, res) => res.writeHead(500).end('no'));
    expect(await post(url, request, 2_000)).toEqual({ ok: false, status: 500, error: 'HTTP 500' });
    const redirect = await endpoint((_req, res) => res.writeHead(302, { location: '/elsewhere' }).end());
    expect(await post(redirect.url, request, 2_000)).toEqual({ ok: false, status: 302, error: 'HTTP 302' });
  });

  it('an endpoint that never answers, or stalls in the body, times out', async () => {
    const silent = await endpoint(() => {});
    expect(await post(silent.url, request, 200)).toEqual({ ok: false, status: null, error: 'timeout after 200 ms' });
    const stalling = await endpoint((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    expect(await post(stalling.url, request, 200)).toEqual({ ok: false, status: null, error: 'timeout after 200 ms' });
  });

  it('a refused connection fails with its code; a bad URL fails without a throw', async () => {
    const { url } = await endpoint((_req, res) => res.end());
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    expect(await post(url, request, 2_000)).toMatchObject({ ok: false, status: null, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(await post('not a url', request, 2_000)).toMatchObject({ ok: false, status: null });
  });

  it('an endpoint that closes the connection mid-answer fails', async () => {
    const { url } = await endpoint((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => req.socket.destroy());
    });
    expect(await post(url, request, 2_000)).toMatchObject({ ok: false, status: null });
  });

  it('an answer past MAX_ANSWER_BYTES is cut off and the status decides', async () => {
    const big = 'x'.repeat(MAX_ANSWER_BYTES * 4);
    const { url } = await endpoint((_req, res) => res.writeHead(200).end(big));
    expect(await post(url, request, 2_000)).toEqual({ ok: true, status: 200 });
  });

  it('reuses keep-alive connections for posts one after another', async () => {
    const { url, connections } = await endpoint((_req, res) => res.writeHead(200).end('ok'));
    for (let i = 0; i < 10; i++) expect(await post(url, request, 2_000)).toEqual({ ok: true, status: 200 });
    // undici's pool may open a second connection when a post is sent in the same tick as the
    // answer before it completes (undici request() did the same); never one per post.
    expect(connections()).toBeLessThanOrEqual(2);
  });
});
