/**
 * The broker's HTTP frontend: what the server (broker/server) and tests import.
 * docs/broker-api.md describes the API it serves.
 */
export { buildHttpApp, DEFAULT_MAX_PAYLOAD_BYTES } from './app.js';
export type { HttpAppOptions } from './app.js';
export { ApiError, errorBody } from './errors.js';
export type { ErrorBody, ErrorCode } from './errors.js';
export { hashKey } from './auth.js';
export { DEFAULT_TOPIC_OPTIONS, LIMITS } from './limits.js';
