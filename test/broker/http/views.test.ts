/**
 * The pull answer written as JSON text (views.ts `pulledJson`): it must parse to exactly what
 * serialising the objects would give, whatever users put in ids, attributes and payloads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pulledJson } from '../../../broker/http/views.js';
import type { DeliveryLease } from '../../../broker/store/types.js';

function lease(n: number, over: Partial<DeliveryLease['message']>): DeliveryLease {
  return {
    ackId: `${n}:m-${n}`,
    subscriptionId: 'sub',
    attempt: n,
    redelivered: n > 1,
    deadline: 0,
    message: { id: `m-${n}`, topic: 't', payload: new Uint8Array(), encoding: 'json', attributes: {}, routingKey: '', publishedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 6), expiresAt: 0, ...over },
  };
}

describe('pull answer as JSON text', () => {
  it('is {"messages":[]} when nothing was pulled', () => {
    expect(JSON.parse(pulledJson([]))).toEqual({ messages: [] });
  });

  it('parses to the documented fields, any JSON value, attributes and routing key', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.string()), fc.string(), fc.uint8Array({ maxLength: 40 }), (value, attributes, routingKey, bytes) => {
        const json = lease(1, { payload: new TextEncoder().encode(JSON.stringify(value)), attributes, routingKey });
        const bin = lease(2, { payload: bytes, encoding: 'base64' });
        expect(JSON.parse(pulledJson([json, bin]))).toEqual({
          messages: [
            { ackId: '1:m-1', id: 'm-1', payload: JSON.parse(JSON.stringify(value)), attributes, routingKey, publishedAt: '2026-01-02T03:04:05.006Z', attempt: 1, redelivered: false },
            { ackId: '2:m-2', id: 'm-2', payloadBase64: Buffer.from(bytes).toString('base64'), attributes: {}, routingKey: '', publishedAt: '2026-01-02T03:04:05.006Z', attempt: 2, redelivered: true },
          ],
        });
      }),
    );
  });
});
