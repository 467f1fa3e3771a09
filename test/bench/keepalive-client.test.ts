import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KeepAliveClient, parseAnswer } from '../../bench/broker/keepalive-client.js';

let servers: Server[] = [];
let clients: KeepAliveClient[] = [];

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
  clients = [];
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function client(url: string, connections: number): KeepAliveClient {
  const c = new KeepAliveClient(url, connections);
  clients.push(c);
  return c;
}

describe('KeepAliveClient against a node:http server', () => {
  it('sends method, path, headers and body, and reads status, body and Retry-After', async () => {
    const { url } = await serve((req, res, body) => {
      res.setHeader('retry-after', '2');
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers['content-type'], body }));
    });
    const answer = await client(url, 1).request('POST', '/v1/x?y=1', { authorization: 'Bearer k', 'content-type': 'application/json' }, '{"é":1}');
    expect(answer.status).toBe(503);
    expect(answer.retryAfterS).toBe(2);
    expect(JSON.parse(answer.body)).toEqual({ method: 'POST', url: '/v1/x?y=1', auth: 'Bearer k', type: 'application/json', body: '{"é":1}' });
  });

  it('reads a chunked body and an empty one', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200);
      res.write('{"a":');
      setTimeout(() => res.end('"ü"}'), 5);
    });
    const c = client(url, 1);
    expect(await c.request('GET', '/chunked', {})).toEqual({ status: 200, body: '{"a":"ü"}' });
    expect(await c.request('DELETE', '/empty', {})).toEqual({ status: 204, body: '' });
  });

  it('keeps connections open, and never has more requests in flight than connections', async () => {
    let open = 0;
    let most = 0;
    const sockets = new Set<unknown>();
    const { url } = await serve((req, res) => {
      sockets.add(req.socket);
      open++;
      most = Math.max(most, open);
      setTimeout(() => {
        open--;
        res.end('ok');
      }, 2);
    });
    const c = client(url, 3);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => c.request('GET', `/${i}`, {})));
    expect(answers.every((a) => a.status === 200 && a.body === 'ok')).toBe(true);
    expect(most).toBe(3);
    expect(sockets.size).toBe(3);
  });

  it('opens a new connection after the server answers Connection: close', async () => {
    const sockets = new Set<unknown>();
    const { url } = await serve((req, res) => {
      sockets.add(req.socket);
      res.setHeader('connection', 'close');
      res.end(req.url);
    });
    const c = client(url, 1);
    for (let i = 0; i < 3; i++) expect((await c.request('GET', `/${i}`, {})).body).toBe(`/${i}`);
    expect(sockets.size).toBe(3);
  });

  it('rejects the requests in flight when the server drops the connection, and goes on after', async () => {
    let n = 0;
    const { url } = await serve((req, res) => {
      if (n++ === 0) req.socket.destroy();
      else res.end('fine');
    });
    const c = client(url, 1);
    await expect(c.request('GET', '/', {})).rejects.toThrow(/closed before the answer/);
    expect((await c.request('GET', '/', {})).body).toBe('fine');
  });

  it('rejects when nothing listens', async () => {
    const { url, server } = await serve((_req, res) => res.end());
    await new Promise((resolve) => server.close(resolve));
    servers = [];
    await expect(client(url, 2).request('GET', '/', {})).rejects.toThrow(/ECONNREFUSED|closed before/);
  });
});

describe('parseAnswer', () => {
  const answer = Buffer.from('HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\nRetry-After: 1\r\ncontent-length: 13\r\n\r\n{"id":"ä-1"}');

  it('is incomplete at every cut before the last byte, and complete at the end', () => {
    for (let cut = 0; cut < answer.length; cut++) expect(parseAnswer(answer.subarray(0, cut))).toBe('incomplete');
    expect(parseAnswer(answer)).toEqual({ answer: { status: 202, body: '{"id":"ä-1"}', retryAfterS: 1 }, close: false });
  });

  it('decodes chunked bodies cut anywhere', () => {
    const chunked = Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\na\r\n0123456789\r\n0\r\n\r\n');
    for (let cut = 0; cut < chunked.length; cut++) expect(parseAnswer(chunked.subarray(0, cut))).toBe('incomplete');
    expect(parseAnswer(chunked)).toEqual({ answer: { status: 200, body: 'abc0123456789' }, close: false });
  });

  it('refuses what it does not speak', () => {
    expect(parseAnswer(Buffer.from('SPDY/3 200\r\n\r\n'))).toBeInstanceOf(Error);
    expect(parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\n\r\nbody'))).toBeInstanceOf(Error);
    expect(parseAnswer(Buffer.concat([answer, Buffer.from('HTTP/1.1')]))).toBeInstanceOf(Error);
    expect(parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: -3\r\n\r\n'))).toBeInstanceOf(Error);
  });

  it('reads Connection: close and HTTP/1.0 as the end of the connection', () => {
    expect(parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 0\r\n\r\n'))).toMatchObject({ close: true });
    expect(parseAnswer(Buffer.from('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n'))).toMatchObject({ close: true });
  });
});
