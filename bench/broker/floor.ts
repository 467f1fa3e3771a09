/**
 * The HTTP floor: what this machine and this load client allow before the broker does any
 * work. A bare node:http server, in the bench process where the broker runs, answers every
 * `POST /v1/topics/:topic/messages` as the broker's publish route does on success (it reads
 * the body, parses it as JSON, answers 202 `{id, duplicate:false}` with a fresh id) and does
 * nothing else: no routing framework, no validation, no store, no actors.
 *
 * The same load client publishing to it with the same concurrency gives the most single
 * publishes per second any broker written on node:http could be answered with here. B1-publish
 * single and B3 show it as a baseline measured in the same run, so their figures read as a
 * share of what the transport leaves, not only against servers that speak binary protocols.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadClient, type LoadClient } from './client-process.js';

const PUBLISH_PATH = /^\/v1\/topics\/[^/]+\/messages$/;

export interface FloorServer {
  readonly url: string;
  /** CPU of this process (µs, all threads) since the server started: the server's cost. */
  cpuMicros(): number;
  close(): Promise<void>;
}

export async function startFloorServer(): Promise<FloorServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || !PUBLISH_PATH.test(req.url ?? '')) {
        res.writeHead(404).end();
        return;
      }
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const body = `{"id":"${randomUUID()}","duplicate":false}`;
      res.writeHead(202, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cpu0 = process.cpuUsage();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cpuMicros: () => {
      const cpu = process.cpuUsage(cpu0);
      return cpu.user + cpu.system;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A floor server and a load client pointed at it, for the length of `fn`. */
export async function withFloor<T>(fn: (floor: FloorServer, client: LoadClient) => Promise<T>): Promise<T> {
  const floor = await startFloorServer();
  const client = loadClient({ url: floor.url, key: 'floor' });
  try {
    return await fn(floor, client);
  } finally {
    await client.close();
    await floor.close();
  }
}
