/**
 * Answers fastify would otherwise write in its own shape, below the routes:
 *
 * - a request Node's HTTP parser refuses (malformed request line, headers too large, a request
 *   that took too long to arrive): written straight to the socket, then the socket is closed;
 * - a request arriving while the app closes: 503 `unavailable` with `Connection: close`, so
 *   the client retries elsewhere (fastify's own return503OnClosing is turned off in app.ts).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody, type ErrorCode } from './errors.js';

/** fastify's `clientErrorHandler`: the same decisions as its default, in our error shape. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset socket is gone already; nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'invalid_request', 'the request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'invalid_request', 'the request headers are too large']
        : [400, 'invalid_request', 'malformed HTTP request'];
  if (socket.writable) {
    const body = JSON.stringify(errorBody(code, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
