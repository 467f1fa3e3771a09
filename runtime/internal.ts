/** Internals for tests and for the other layers of postbox (never re-exported by index.ts). */
export { Mailbox, NO_MESSAGE, Pattern } from './mailbox.js';
export type { MailboxMark } from './mailbox.js';
export { Scheduler, NO_TRANSPORT, pidKey, REF_BLOCK, SERIAL_LIMIT, SCHEDULER_IDS } from './scheduler.js';
export type { Transport, SchedulerOptions } from './scheduler.js';
export { Process, Status, sendOwned, isProcess } from './process.js';
export { isPid, isRef } from './pid.js';
export { queueJob } from './microtask.js';
export { schedulerOf, threadsOf, presetSerials } from './system.js';
export { lookupDefinition, actorKind } from './actor.js';
export { copy, encode, decode } from './codec.js';
export { startWorker, siblingModule } from './thread-loader.js';
export { BinaryHeap } from './binary-heap.js';
export { openBinaryHeap, closeBinaryHeap } from './binary-codec.js';
