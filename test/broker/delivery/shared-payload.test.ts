import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedBinary, start, type ActorSystem } from '../../../runtime/index.js';
import { SHARED_PAYLOAD_BYTES, taskArgs } from '../../../broker/delivery/task.js';
import type { DeliveryJob } from '../../../broker/delivery/protocol.js';

let system: ActorSystem;
beforeAll(async () => {
  system = await start({ schedulers: 1, logLevel: 'silent', shutdownTimeoutMs: 500 });
});
afterAll(() => system.shutdown());

function job(payload: Uint8Array): DeliveryJob {
  const message = { id: 'm', topic: 't', payload, encoding: 'base64' as const, attributes: {}, routingKey: '', publishedAt: 0, expiresAt: 1 };
  return {
    lease: { ackId: '1:m', subscriptionId: 's', message, attempt: 1, redelivered: false, deadline: 1 },
    sub: { id: 's', endpoint: 'http://127.0.0.1:1/', secret: 'x', backoff: { initialMs: 1, maxMs: 1, multiplier: 1 } } as DeliveryJob['sub'],
    endpoint: 'http://127.0.0.1:1/',
    deadline: 1,
  };
}

describe('delivery task arguments', () => {
  it('a large payload travels as a shared binary, out of the copied job', () => {
    const payload = new Uint8Array(SHARED_PAYLOAD_BYTES).map((_, i) => i & 0xff);
    const args = taskArgs(job(payload), 1000, system.inbox().self);
    expect(SharedBinary.isSharedBinary(args.sharedPayload)).toBe(true);
    expect(args.sharedPayload!.bytes).toEqual(payload);
    expect(args.job.lease.message.payload.byteLength).toBe(0);
  });

  it('a small payload is copied with the job', () => {
    const args = taskArgs(job(new Uint8Array(SHARED_PAYLOAD_BYTES - 1)), 1000, system.inbox().self);
    expect(args.sharedPayload).toBeNull();
    expect(args.job.lease.message.payload.byteLength).toBe(SHARED_PAYLOAD_BYTES - 1);
  });
});
