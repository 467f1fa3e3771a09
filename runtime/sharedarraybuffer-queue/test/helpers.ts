import { Worker } from 'node:worker_threads';

const bootstrap = new URL('./fixtures/bootstrap.mjs', import.meta.url);

/** Starts fixtures/<name>.ts on a real thread; the caller must terminate it. */
export function startWorker(name: string, args: unknown): Worker {
  return new Worker(bootstrap, {
    execArgv: ['--conditions=source'],
    workerData: { module: new URL(`./fixtures/${name}.ts`, import.meta.url).href, args },
  });
}

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

/** Bytes 0..length-1 of a record numbered `id` (distinct records differ in content). */
export function recordBytes(id: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (id * 31 + i) & 0xff;
  return bytes;
}
