/** Helpers for tests that drive their own worker threads. */
import type { Worker } from 'node:worker_threads';

/** The next message from `worker`, rejecting on error, exit or after `ms`. */
export function nextMessage(worker: Worker, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error(`no message from worker within ${ms} ms`))), ms);
    const onMessage = (message: unknown): void => finish(() => resolve(message));
    const onError = (error: Error): void => finish(() => reject(error));
    const onExit = (code: number): void => finish(() => reject(new Error(`worker exited with code ${code}`)));
    function finish(settle: () => void): void {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      settle();
    }
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}
