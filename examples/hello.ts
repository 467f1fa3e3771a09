/**
 * `npm start` (until the broker server lands): a small actor program. A counter actor on a
 * scheduler thread, a crash seen by a monitor, and an orderly shutdown after which the process
 * exits by itself.
 */
import { availableParallelism } from 'node:os';
import { TIMEOUT, isDownMessage, start } from '../runtime/index.js';
import { Counter } from './hello-actors.js';

const system = await start({ schedulers: Math.min(2, availableParallelism()) });
const me = system.inbox();

const counter = system.spawn(Counter, 40);
system.send(counter, { add: 1 });
system.send(counter, { add: 1 });
system.send(counter, { get: true, from: me.self });
const reply = await me.receive<{ count: number; at: string }>((m) => 'count' in m, 5_000);
if (reply === TIMEOUT) throw new Error('the counter did not answer');
console.log(`counter ${reply.at} counted to ${reply.count}`);

const ref = me.monitor(counter);
system.send(counter, { crash: 'on purpose' });
const down = await me.receive((m) => isDownMessage(m) && m.ref.equals(ref), 5_000);
if (down === TIMEOUT) throw new Error('no DOWN message');
console.log(`monitor saw ${String(down.pid)} exit: ${(down.reason as Error).message}`);

await system.shutdown();
console.log('shut down; the process exits by itself');
