/**
 * The Notification body and its signature, without any server.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { notificationJson, notificationRequest, sign, verifySignature } from '../../../broker/delivery/notification.js';
import type { DeliveryLease } from '../../../broker/store/types.js';

function lease(over: Partial<DeliveryLease['message']> = {}): DeliveryLease {
  return {
    ackId: '2:m-1',
    subscriptionId: 'sub-1',
    attempt: 2,
    redelivered: true,
    deadline: 0,
    message: {
      id: 'm-1',
      topic: 'orders',
      payload: new TextEncoder().encode('{"total":12.5,"items":["a"]}'),
      encoding: 'json',
      attributes: { region: 'eu' },
      routingKey: 'orders.eu',
      publishedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      expiresAt: 0,
      ...over,
    },
  };
}

describe('notification', () => {
  it('notification - json payloads are sent as the JSON value, others as base64', () => {
    const text = notificationJson(lease());
    // The stored JSON payload goes in as it is, fields in the documented order.
    expect(text).toBe(
      '{"type":"Notification","id":"m-1","topic":"orders","subscriptionId":"sub-1","payload":{"total":12.5,"items":["a"]},' +
        '"attributes":{"region":"eu"},"routingKey":"orders.eu","publishedAt":"2026-01-02T03:04:05.006Z","attempt":2}',
    );
    expect(JSON.parse(text)).toEqual({
      type: 'Notification',
      id: 'm-1',
      topic: 'orders',
      subscriptionId: 'sub-1',
      payload: { total: 12.5, items: ['a'] },
      attributes: { region: 'eu' },
      routingKey: 'orders.eu',
      publishedAt: '2026-01-02T03:04:05.006Z',
      attempt: 2,
    });
    const bin = JSON.parse(notificationJson(lease({ encoding: 'base64', payload: new Uint8Array([1, 2, 250]) })));
    expect(bin.payloadBase64).toBe('AQL6');
    expect(bin).not.toHaveProperty('payload');
    // Strings from users are escaped: quotes, backslashes, control and non-ASCII characters.
    const odd = { region: 'a"b\\c\n\u0001é🔑' };
    const escaped = JSON.parse(notificationJson(lease({ attributes: odd, routingKey: 'x"y', payload: new TextEncoder().encode(JSON.stringify('"q"\n')) })));
    expect(escaped).toMatchObject({ attributes: odd, routingKey: 'x"y', payload: '"q"\n' });
  });

  it('notification - the signature is lowercase hex HMAC-SHA256 of the exact body bytes, keyed by the UTF-8 secret', () => {
    const secret = 'sécret-🔑';
    const req = notificationRequest(lease(), secret);
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(req.body).digest('hex');
    expect(req.headers['x-postbox-signature']).toBe(expected);
    expect(req.headers['x-postbox-message-id']).toBe('m-1');
    expect(req.headers['x-postbox-attempt']).toBe('2');
    expect(sign(secret, req.body)).toBe(expected);
    expect(verifySignature(secret, req.body, expected)).toBe(true);
    // One changed byte, another secret, or a malformed header: refused.
    const tampered = Buffer.from(req.body);
    tampered[tampered.length - 2] ^= 1;
    expect(verifySignature(secret, tampered, expected)).toBe(false);
    expect(verifySignature('other', req.body, expected)).toBe(false);
    expect(verifySignature(secret, req.body, expected.toUpperCase())).toBe(false);
    expect(verifySignature(secret, req.body, undefined)).toBe(false);
  });
});
