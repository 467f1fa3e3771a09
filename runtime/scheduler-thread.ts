/**
 * The entry of a scheduler thread (a worker_thread). The main thread (threads.ts) gives it the
 * shared memory: every scheduler's ring, the pid-serial counters, the name table, the
 * heartbeat words and the shared binary heap. From then on it talks to other threads only
 * through the rings; postMessage carries control only (ready, scheduler down, shutdown).
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { RecordRing } from 'sharedarraybuffer-queue';
import { openBinaryHeap } from './binary-codec.js';
import { Pid } from './pid.js';
import { RingTransport } from './ring-transport.js';
import { Scheduler } from './scheduler.js';
import { SharedNames } from './shared-names-service.js';
import { stopActors } from './shutdown.js';
import { loadDefinition, type ControlMessage, type ThreadData } from './thread-protocol.js';

const data = workerData as ThreadData;
const port = parentPort!;
const logger = pino({ level: data.logLevel }).child({ scheduler: data.id });
// Before the transport: frames may carry shared binaries from the first one on.
openBinaryHeap(data.binaries.buffer, data.id, data.binaries.threshold);

const transport = new RingTransport({
  self: data.id,
  // keepAlive false: the control port's listener keeps this thread alive; a ref'd timer per park
  // (what keepAlive costs) is work on every wake-up.
  rings: data.rings.map((sab) => RecordRing.open(sab, { spinMicros: data.spinMicros === 'adaptive' ? 0 : data.spinMicros, keepAlive: false })),
  adaptiveSpin: data.spinMicros === 'adaptive',
  serials: new BigInt64Array(data.serials),
  refBlocks: new BigInt64Array(data.refBlocks),
  loadDefinition,
  deadBelow: data.deadBelow,
  refsDeadBelow: data.refsDeadBelow,
  onError: (error) => logger.error({ err: error }, 'bad frame on the scheduler ring'),
});
const scheduler = new Scheduler({
  node: 0,
  id: data.id,
  logger,
  transport,
  names: SharedNames.open(data.names),
  allocateSerial: () => transport.allocateSerial(data.id),
  reserveRefs: () => transport.reserveRefs(data.id),
  processBudget: data.processBudget,
  sliceBudget: data.sliceBudget,
});
transport.attach(scheduler);

// A stray rejected promise in actor code must not take the thread down.
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection (ignored by postbox)'));

// The watchdog on the main thread reads this word: it moves while the event loop turns.
const heartbeats = new Int32Array(data.heartbeats);
const beat = setInterval(() => Atomics.add(heartbeats, data.id, 1), data.heartbeatMs);
beat.unref();

port.on('message', (msg: ControlMessage) => {
  if (msg.type === 'scheduler_down') {
    scheduler.schedulerDown(msg.id);
  } else if (msg.type === 'shutdown') {
    void (async () => {
      await stopActors(scheduler, new Pid(0, data.id, 0), msg.timeoutMs);
      clearInterval(beat);
      await transport.stop();
      port.postMessage({ type: 'stopped' } satisfies ControlMessage);
      port.close();
    })();
  }
});

port.postMessage({ type: 'ready', id: data.id } satisfies ControlMessage);
