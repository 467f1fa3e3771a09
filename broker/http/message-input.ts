/**
 * One message of a publish or batch body → the store's `NewMessage` (SPEC §3 publish row):
 *
 *   {payload | payloadBase64, attributes?, routingKey?, ttlMs?, idempotencyKey?}
 *
 * The payload is kept as bytes with the encoding it came in: `payload` (any JSON value) as the
 * UTF-8 of `JSON.stringify(payload)`, `payloadBase64` decoded. The size limit applies to those
 * bytes; a base64 payload is measured from its length before it is decoded, so an oversized
 * one is refused without allocating it. This runs on every publish: no copies of the
 * attributes (the parsed object is used as it is once checked), one buffer for the payload.
 */
import { randomUUID } from 'node:crypto';
import type { NewMessage } from '../store/types.js';
import { invalidRequest, payloadTooLarge } from './errors.js';
import { LIMITS } from './limits.js';
import { expectObject, fieldPath, optionalInteger, own, rejectUnknownFields, type JsonObject } from './validation.js';

const MESSAGE_FIELDS: ReadonlySet<string> = new Set(['payload', 'payloadBase64', 'attributes', 'routingKey', 'ttlMs', 'idempotencyKey']);

/** Standard base64 alphabet (RFC 4648 §4), padding optional. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Reads and checks one message; `parent` is its path for error messages ('' for a publish body,
 * `messages[3]` in a batch). `headerIdempotencyKey` is the Idempotency-Key header (publish only).
 * Throws ApiError: 400 invalid_request naming the field, 413 payload_too_large.
 */
export function readMessage(value: unknown, parent: string, maxPayloadBytes: number, headerIdempotencyKey?: string): NewMessage {
  const body = expectObject(value, parent);
  rejectUnknownFields(body, MESSAGE_FIELDS, parent);
  const { payload, encoding } = readPayload(body, parent, maxPayloadBytes);
  return {
    id: randomUUID(),
    payload,
    encoding,
    attributes: readAttributes(body, parent),
    routingKey: readRoutingKey(body, parent),
    ttlMs: optionalInteger(body, 'ttlMs', parent, LIMITS.messageTtlMs) ?? null,
    idempotencyKey: readIdempotencyKey(body, parent, headerIdempotencyKey),
  };
}

function readPayload(body: JsonObject, parent: string, maxPayloadBytes: number): Pick<NewMessage, 'payload' | 'encoding'> {
  const json = own(body, 'payload');
  const base64 = own(body, 'payloadBase64');
  if (json !== undefined && base64 !== undefined) {
    throw invalidRequest(fieldPath(parent, 'payload'), 'give either payload or payloadBase64, not both');
  }
  if (base64 !== undefined) {
    const field = fieldPath(parent, 'payloadBase64');
    if (typeof base64 !== 'string' || base64.length % 4 === 1 || !BASE64.test(base64)) {
      throw invalidRequest(field, 'expected a base64 string (standard alphabet A-Z a-z 0-9 + /, optional = padding)');
    }
    const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
    const bytes = Math.floor((base64.length * 3) / 4) - padding;
    if (bytes > maxPayloadBytes) throw payloadTooLarge(field, bytes, maxPayloadBytes);
    return { payload: Buffer.from(base64, 'base64'), encoding: 'base64' };
  }
  if (json === undefined) throw invalidRequest(fieldPath(parent, 'payload'), 'is required (or payloadBase64)');
  // `null` is a JSON value like any other, so it is a payload (the bytes "null").
  const payload = Buffer.from(JSON.stringify(json), 'utf8');
  if (payload.byteLength > maxPayloadBytes) throw payloadTooLarge(fieldPath(parent, 'payload'), payload.byteLength, maxPayloadBytes);
  return { payload, encoding: 'json' };
}

function readAttributes(body: JsonObject, parent: string): Readonly<Record<string, string>> {
  const value = own(body, 'attributes');
  if (value === undefined || value === null) return NO_ATTRIBUTES;
  const field = fieldPath(parent, 'attributes');
  const attributes = expectObject(value, field);
  let count = 0;
  for (const key in attributes) {
    if (++count > LIMITS.attributes) throw invalidRequest(field, `at most ${LIMITS.attributes} attributes`);
    if (key.length === 0 || key.length > LIMITS.attributeKeyChars) {
      throw invalidRequest(field, `attribute names are 1 to ${LIMITS.attributeKeyChars} characters`);
    }
    const attribute = attributes[key];
    if (typeof attribute !== 'string' || attribute.length > LIMITS.attributeValueChars) {
      throw invalidRequest(fieldPath(field, key), `expected a string of at most ${LIMITS.attributeValueChars} characters`);
    }
  }
  return attributes as Readonly<Record<string, string>>;
}

function readRoutingKey(body: JsonObject, parent: string): string {
  const value = own(body, 'routingKey');
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.length > LIMITS.routingKeyChars) {
    throw invalidRequest(fieldPath(parent, 'routingKey'), `expected a string of at most ${LIMITS.routingKeyChars} characters`);
  }
  return value;
}

function readIdempotencyKey(body: JsonObject, parent: string, header: string | undefined): string | null {
  const value = own(body, 'idempotencyKey');
  const field = fieldPath(parent, 'idempotencyKey');
  if (value !== undefined && value !== null && (typeof value !== 'string' || !LIMITS.idempotencyKey.test(value))) {
    throw invalidRequest(field, 'expected 1 to 256 printable ASCII characters');
  }
  if (header !== undefined) {
    if (!LIMITS.idempotencyKey.test(header)) throw invalidRequest('Idempotency-Key', 'expected 1 to 256 printable ASCII characters');
    if (typeof value === 'string' && value !== header) throw invalidRequest(field, 'differs from the Idempotency-Key header');
    return header;
  }
  return typeof value === 'string' ? value : null;
}
