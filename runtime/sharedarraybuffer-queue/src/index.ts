/**
 * sharedarraybuffer-queue: lock-free SPSC and MPSC rings of variable-length byte records in one
 * SharedArrayBuffer, with an Atomics doorbell. See README.md.
 */
export { RecordRing } from './ring.js';
export type {
  CreateOptions,
  OpenOptions,
  ProducerMode,
  RecordHandler,
  RecordWriter,
  WaitResult,
} from './ring.js';
export { RecordTooLargeError, ReentrantDrainError } from './errors.js';
export { spin } from './wait.js';
