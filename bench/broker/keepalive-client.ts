/**
 * The load generator's HTTP/1.1 transport: a fixed pool of keep-alive connections to one
 * origin, one request at a time on each, written and parsed by hand.
 *
 * Why not undici's `request()`: on these 2 cores the load client shares the machine with the
 * broker it measures, so every microsecond the client spends per request is taken from the
 * broker. `request()` cost the client about 290 µs of CPU per publish (bench/broker/profile.ts,
 * "load client process CPU"), more than a bare node:http server spends answering it; this
 * transport writes one pre-built string per request and reads the answer with a few
 * `indexOf`s. It speaks only what the broker and the floor servers answer: a status line,
 * headers, and a body framed by Content-Length or chunked; anything else is an error.
 *
 *   request ──► idle connection? ──yes──► socket.write(head + body) ──► parse ──► resolve
 *                       │ no                                             │
 *                       ▼                                                ▼
 *                 waiting queue ◄──────────── next waiting request ◄─ connection idle
 */
import { connect, type Socket } from 'node:net';

export interface Answer {
  readonly status: number;
  /** The body as text ('' when empty). */
  readonly body: string;
  /** Retry-After in seconds, when the answer carried one. */
  readonly retryAfterS?: number;
}

interface Pending {
  readonly head: string;
  readonly body: string | undefined;
  readonly resolve: (answer: Answer) => void;
  readonly reject: (error: Error) => void;
}

const CRLF = '\r\n';
const HEAD_END = Buffer.from('\r\n\r\n');

export class KeepAliveClient {
  readonly #host: string;
  readonly #port: number;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #waiting: Pending[] = [];
  readonly #max: number;
  #closed = false;

  /** `connections`: sockets opened at most, i.e. the most requests in flight. */
  constructor(baseUrl: string, connections: number) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:') throw new Error(`KeepAliveClient speaks plain http only, got ${baseUrl}`);
    this.#host = url.hostname;
    this.#port = Number(url.port || 80);
    this.#max = connections;
  }

  /** Sends one request; `headers` are written as they are (no Host/Content-Length: added here). */
  request(method: string, path: string, headers: Readonly<Record<string, string>>, body?: string): Promise<Answer> {
    if (this.#closed) return Promise.reject(new Error('KeepAliveClient is closed'));
    let head = `${method} ${path} HTTP/1.1${CRLF}host: ${this.#host}:${this.#port}${CRLF}`;
    for (const name in headers) head += `${name}: ${headers[name]}${CRLF}`;
    head += `content-length: ${body === undefined ? 0 : Buffer.byteLength(body)}${CRLF}${CRLF}`;
    return new Promise((resolve, reject) => this.#dispatch({ head, body, resolve, reject }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#waiting.splice(0)) p.reject(new Error('KeepAliveClient closed with the request still waiting'));
    await Promise.all([...this.#all].map((c) => c.close()));
  }

  #dispatch(pending: Pending): void {
    const idle = this.#idle.pop();
    if (idle) idle.send(pending);
    else if (this.#all.size < this.#max) this.#open().send(pending);
    else this.#waiting.push(pending);
  }

  #open(): Connection {
    const connection = new Connection(
      connect(this.#port, this.#host),
      () => {
        // Idle again: take the next waiting request, or wait for one.
        const next = this.#waiting.shift();
        if (next) connection.send(next);
        else this.#idle.push(connection);
      },
      () => {
        this.#all.delete(connection);
        const i = this.#idle.indexOf(connection);
        if (i >= 0) this.#idle.splice(i, 1);
        // A request that was waiting for a free socket gets a fresh one.
        const next = this.#waiting.shift();
        if (next && !this.#closed) this.#open().send(next);
        else if (next) next.reject(new Error('KeepAliveClient is closed'));
      },
    );
    this.#all.add(connection);
    return connection;
  }
}

/** One socket, one request at a time; reads its answer and hands the socket back. */
class Connection {
  #current: Pending | undefined;
  #buffered: Buffer | undefined;
  #closing = false;

  constructor(
    readonly socket: Socket,
    readonly onIdle: () => void,
    readonly onGone: () => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => {
      this.#fail(new Error('the connection closed before the answer was complete'));
      this.onGone();
    });
  }

  send(pending: Pending): void {
    this.#current = pending;
    this.socket.write(pending.body === undefined ? pending.head : pending.head + pending.body);
  }

  close(): Promise<void> {
    this.#closing = true;
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  #fail(error: Error): void {
    const current = this.#current;
    this.#current = undefined;
    this.#buffered = undefined;
    if (current) current.reject(this.#closing ? new Error('KeepAliveClient closed with the request in flight') : error);
  }

  #read(chunk: Buffer): void {
    const data = this.#buffered === undefined ? chunk : Buffer.concat([this.#buffered, chunk]);
    const parsed = parseAnswer(data);
    if (parsed === 'incomplete') {
      this.#buffered = data;
      return;
    }
    this.#buffered = undefined;
    const current = this.#current;
    this.#current = undefined;
    if (parsed instanceof Error || current === undefined) {
      const error = parsed instanceof Error ? parsed : new Error('an answer arrived with no request in flight');
      current?.reject(error);
      this.socket.destroy(error);
      return;
    }
    current.resolve(parsed.answer);
    if (parsed.close) this.socket.end();
    else this.onIdle();
  }
}

/**
 * One complete answer at the start of `data`, 'incomplete' when more bytes are needed, or an
 * Error for what this client does not speak. Bytes after the answer are an error too: with
 * one request in flight per socket, a server never sends them.
 */
export function parseAnswer(data: Buffer): { answer: Answer; close: boolean } | 'incomplete' | Error {
  const headEnd = data.indexOf(HEAD_END);
  if (headEnd < 0) return 'incomplete';
  const lines = data.toString('latin1', 0, headEnd).split(CRLF);
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
  if (!statusLine) return new Error(`not an HTTP/1.x status line: ${JSON.stringify(lines[0])}`);
  let length: number | undefined;
  let chunked = false;
  let close = lines[0]!.startsWith('HTTP/1.0');
  let retryAfterS: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding') chunked = value.toLowerCase() === 'chunked';
    else if (name === 'connection') close = value.toLowerCase() === 'close';
    else if (name === 'retry-after' && Number(value) >= 0) retryAfterS = Number(value);
  }
  const status = Number(statusLine[1]);
  const start = headEnd + HEAD_END.length;
  let body: string;
  let end: number;
  if (chunked) {
    const decoded = decodeChunked(data, start);
    if (decoded === 'incomplete' || decoded instanceof Error) return decoded;
    ({ body, end } = decoded);
  } else if (length !== undefined) {
    if (!Number.isInteger(length) || length < 0) return new Error(`bad Content-Length: ${length}`);
    end = start + length;
    if (data.length < end) return 'incomplete';
    body = data.toString('utf8', start, end);
  } else if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    body = '';
    end = start;
  } else {
    return new Error(`status ${status} without Content-Length or chunked framing`);
  }
  if (data.length > end) return new Error(`${data.length - end} bytes after the answer`);
  return { answer: retryAfterS === undefined ? { status, body } : { status, body, retryAfterS }, close };
}

function decodeChunked(data: Buffer, from: number): { body: string; end: number } | 'incomplete' | Error {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = data.indexOf(CRLF, at);
    if (lineEnd < 0) return 'incomplete';
    const size = parseInt(data.toString('latin1', at, lineEnd), 16);
    if (!Number.isInteger(size) || size < 0) return new Error('bad chunk size');
    const chunkStart = lineEnd + 2;
    if (size === 0) {
      // No trailers are sent by the servers this talks to: the last chunk ends with CRLF CRLF.
      if (data.length < chunkStart + 2) return 'incomplete';
      return { body: Buffer.concat(parts).toString('utf8'), end: chunkStart + 2 };
    }
    if (data.length < chunkStart + size + 2) return 'incomplete';
    parts.push(data.subarray(chunkStart, chunkStart + size));
    at = chunkStart + size + 2;
  }
}
