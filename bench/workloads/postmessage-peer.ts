/**
 * The other thread of the postMessage baselines (R1, R4 cross-thread): the same messages as
 * the actor workloads, over Node's own MessagePort instead of postbox.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

type Job =
  | { role: 'ponger' }
  | { role: 'pinger'; peer: MessagePort; rounds: number }
  | { role: 'sender'; count: number };

const job = workerData as Job;
const port = parentPort!;

if (job.role === 'ponger') {
  port.on('message', (m: { type: string; n: number; port?: MessagePort }) => {
    if (m.port) {
      m.port.on('message', (ping: { type: string; n: number }) => m.port!.postMessage({ type: 'pong', n: ping.n }));
      port.postMessage('ready');
    }
  });
} else if (job.role === 'pinger') {
  port.once('message', (peer: MessagePort) => {
    let n = 0;
    const t0 = performance.now();
    peer.on('message', () => {
      if (++n === job.rounds) {
        port.postMessage({ ms: performance.now() - t0 });
        peer.close();
      } else {
        peer.postMessage({ type: 'ping', n });
      }
    });
    peer.postMessage({ type: 'ping', n });
  });
} else {
  port.once('message', () => {
    for (let n = 0; n < job.count; n++) port.postMessage({ type: 'msg', n });
  });
}
