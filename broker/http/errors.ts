/**
 * Every answer that is not a success: `{"error":{"code","message"}}` (SPEC §3), one status and
 * one stable `code` per condition. Routes throw `ApiError`; the app's error handler
 * (error-handler.ts) turns it, and every error fastify raises itself, into this shape.
 */

/** The `code` values the HTTP API answers with; docs/broker-api.md has the table. */
export type ErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_topic_name'
  | 'invalid_ack_id'
  | 'invalid_token'
  | 'batch_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'topic_not_found'
  | 'subscription_not_found'
  | 'key_not_found'
  | 'method_not_allowed'
  | 'topic_exists'
  | 'idempotency_conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal_error'
  | 'unavailable';

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

/** An answer for the client, thrown by routes and hooks. `headers` go out with it
 * (Retry-After for 429 and 503, Allow for 405). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers?: Readonly<Record<string, string>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message);
  }
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

// ── one constructor per condition, so routes read as what went wrong ────────────────────

/** JSON of the wrong shape; `field` is the path of the bad value (`messages[3].ttlMs`). */
export const invalidRequest = (field: string, message: string): ApiError =>
  new ApiError(400, 'invalid_request', `${field}: ${message}`);

export const invalidTopicName = (name: unknown): ApiError =>
  new ApiError(400, 'invalid_topic_name', `invalid topic name ${preview(name)}: expected 1-256 characters of A-Z a-z 0-9 _ . -`);

export const topicNotFound = (name: string): ApiError => new ApiError(404, 'topic_not_found', `topic "${name}" does not exist`);

export const subscriptionNotFound = (id: string): ApiError =>
  new ApiError(404, 'subscription_not_found', `subscription ${preview(id)} does not exist`);

export const payloadTooLarge = (field: string, bytes: number, limit: number): ApiError =>
  new ApiError(413, 'payload_too_large', `${field}: payload is ${bytes} bytes, over the limit of ${limit} bytes`);

export const forbidden = (message: string): ApiError => new ApiError(403, 'forbidden', message);

/** A component of the broker is down or failed the call: retryable, nothing was lost. */
export const unavailable = (cause: unknown): ApiError =>
  new ApiError(503, 'unavailable', 'the broker cannot serve this request right now; retry later', { 'retry-after': '1' }, { cause });

/** A value for an error message: strings quoted and cut short, so a 1 MB bad value does not come back whole. */
export function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}
