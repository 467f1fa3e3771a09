// msgpackr first, on purpose: the codec's switch (codec-env.ts) comes too late, the native
// add-on loads, and the codec must copy shared frames out instead of letting the add-on fail.
import { isNativeAccelerationEnabled } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decode, decodeFrom, encode } from '../../runtime/codec.js';
import { Pid } from '../../runtime/pid.js';
import { difference } from './support.js';

describe('codec - msgpackr loaded before the codec', () => {
  it('decodeFrom - still reads shared frames (copied out for the native add-on)', () => {
    const v = { type: 'publish', text: 'y'.repeat(300), more: ['a string longer than thirty-two bytes'], from: new Pid(0, 1, 2) };
    const frame = encode(v);
    const buf = new Uint8Array(new SharedArrayBuffer(frame.length + 10));
    buf.set(frame, 7);
    expect(difference(v, decodeFrom(buf, 7, 7 + frame.length))).toBeNull();
    expect(difference(v, decode(buf.subarray(7, 7 + frame.length)))).toBeNull();
    // Whether the add-on exists depends on the platform; the result must not.
    expect(typeof isNativeAccelerationEnabled).toBe('boolean');
  });
});
