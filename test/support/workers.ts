/** Helpers for tests that drive their own worker threads: the queue package's, shared. */
export { nextMessage } from '../../runtime/sharedarraybuffer-queue/test/helpers.js';
