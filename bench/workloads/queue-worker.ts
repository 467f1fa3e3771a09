/**
 * The second thread of the queue workloads (queue.ts). It obeys one command at a time from
 * its parent and answers 'ok' when the command is over:
 * - `produce`: push `count` records of `size` bytes into the ring (Q2).
 * - `post`: post `count` records to the parent, one per message or `batch` per array (Q2).
 * - `echo-ring`: answer every record of `ping` with the same bytes into `pong`, until an
 *   empty record (Q3).
 * - `echo-port`: answer every message on `port` with itself, until 'stop' (Q3 baseline).
 */
import { type MessagePort, parentPort } from 'node:worker_threads';
import { RecordRing } from 'sharedarraybuffer-queue';

export type Command =
  | { kind: 'produce'; buffer: SharedArrayBuffer; count: number; size: number }
  | { kind: 'post'; count: number; size: number; batch: number }
  | { kind: 'echo-ring'; ping: SharedArrayBuffer; pong: SharedArrayBuffer; spinMicros: number }
  | { kind: 'echo-port'; port: MessagePort };

const parent = parentPort!;
const rings = new Map<SharedArrayBuffer, RecordRing>();

function ring(buffer: SharedArrayBuffer, spinMicros?: number): RecordRing {
  let found = rings.get(buffer);
  if (found === undefined) {
    found = RecordRing.open(buffer, { spinMicros });
    rings.set(buffer, found);
  }
  return found;
}

async function produce(queue: RecordRing, count: number, size: number): Promise<void> {
  const record = new Uint8Array(size);
  for (let i = 0; i < count; i++) {
    record[0] = i & 0xff;
    // Full: push spins briefly, then parks until the consumer frees room.
    if (!queue.tryPush(record)) await queue.push(record);
  }
}

function post(count: number, size: number, batch: number): void {
  const record = new Uint8Array(size);
  if (batch <= 1) {
    for (let i = 0; i < count; i++) {
      record[0] = i & 0xff;
      parent.postMessage(record);
    }
    return;
  }
  for (let sent = 0; sent < count; ) {
    const n = Math.min(batch, count - sent);
    // One buffer per batch, a view per record: the clone copies the buffer once. (The same
    // array n times would be cloned once and referenced: too cheap to be a real batch;
    // n separate buffers cost a clone each.)
    const batchBytes = new Uint8Array(n * size);
    const records = new Array<Uint8Array>(n);
    for (let j = 0; j < n; j++) {
      records[j] = batchBytes.subarray(j * size, (j + 1) * size);
      records[j][0] = (sent + j) & 0xff;
    }
    parent.postMessage(records);
    sent += n;
  }
}

async function echoRing(ping: RecordRing, pong: RecordRing): Promise<void> {
  let running = true;
  const answer = (bytes: Uint8Array, offset: number, length: number): void => {
    if (length === 0) running = false;
    else {
      const view = bytes.subarray(offset, offset + length);
      // Full: wait, with a copy, since the view dies with this callback.
      if (!pong.tryPush(view)) void pong.push(view.slice());
    }
  };
  while (running) {
    await ping.waitForRecords();
    ping.drain(answer);
  }
}

function echoPort(port: MessagePort): Promise<void> {
  return new Promise((resolve) => {
    port.on('message', (message: unknown) => {
      if (message === 'stop') {
        port.close();
        resolve();
      } else {
        port.postMessage(message);
      }
    });
  });
}

parent.on('message', async (command: Command) => {
  switch (command.kind) {
    case 'produce':
      await produce(ring(command.buffer), command.count, command.size);
      break;
    case 'post':
      post(command.count, command.size, command.batch);
      break;
    case 'echo-ring':
      await echoRing(ring(command.ping, command.spinMicros), ring(command.pong));
      break;
    case 'echo-port':
      await echoPort(command.port);
      break;
  }
  parent.postMessage('ok');
});
