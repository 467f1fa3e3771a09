// Worker entry when postbox runs from its TypeScript sources (see thread-loader.ts):
// register tsx's ESM loader in this thread, then import the real entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
