/**
 * Imported for its side effect, before msgpackr is first loaded (codec-wire.ts imports it on
 * its first line): turns msgpackr's native string extractor off.
 *
 * Why: cross-thread frames are decoded straight from the SharedArrayBuffer ring. The native
 * add-on (msgpackr-extract) refuses SharedArrayBuffer memory, so for every frame holding a
 * string of 32+ bytes (or any string in a frame of 140+ bytes) msgpackr calls it, catches the
 * exception and decodes in JavaScript anyway: an exception per message (measured ~16 µs on the
 * 2-core CI box, against ~2.6 µs for the whole decode of a 228-byte frame in plain JavaScript).
 * Copying each frame out to an ArrayBuffer first keeps the add-on usable but measured slower
 * (~5.0 µs for the same frame: a fresh ArrayBuffer, DataView and the N-API call per message).
 * So the pure JavaScript decoder wins for ring frames, which are all we decode.
 *
 * This only works if nothing imported msgpackr earlier in this thread; codec-wire.ts checks
 * `isNativeAccelerationEnabled` and, if the add-on did load, copies shared frames out instead.
 * An explicit MSGPACKR_NATIVE_ACCELERATION_DISABLED set by the user is left alone.
 */
if (process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED === undefined) {
  process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED = 'true';
}

export {};
