/**
 * A stored message's payload as JSON text, to be spliced into a response or webhook body.
 *
 * The stored bytes of a `json` payload are what JSON.stringify made of the published value
 * (broker/http/message-input.ts), and the store never changes them: they are valid JSON text
 * already, so they go into a body as they are — no JSON.parse and re-serialisation per
 * delivery (which cost more than the rest of the body on the pull and webhook paths).
 */
import type { MessageRecord } from './store/types.js';

/** `"payload":<the JSON>` for a message published as JSON, `"payloadBase64":"…"` otherwise. */
export function payloadJsonField(message: Pick<MessageRecord, 'payload' | 'encoding'>): string {
  // A view over the same bytes, not a copy.
  const bytes = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
  return message.encoding === 'json' ? `"payload":${bytes.toString('utf8')}` : `"payloadBase64":"${bytes.toString('base64')}"`;
}
