import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineActor, start, type ActorSystem, type Pid } from '../../runtime/index.js';
import { eventually } from '../support/receive.js';

const Sleeper = defineActor(import.meta.url, 'Sleeper', function* (ctx) {
  yield ctx.receive();
});

let system: ActorSystem;
beforeEach(async () => {
  system = await start({ logLevel: 'silent' });
});
afterEach(() => system.shutdown());

describe('lightweight actors', () => {
  it('lightweight - 1,000,000 idle actors fit on one thread and all still answer', async () => {
    const N = 1_000_000;
    const pids: Pid[] = new Array(N);
    for (let i = 0; i < N; i++) pids[i] = system.spawn(Sleeper);
    // Let every actor run to its receive (the scheduler yields to the event loop between slices).
    await eventually(() => system.info(pids[N - 1]!)?.status === 'waiting', 'the last actor reaching its receive', 60_000);
    expect(system.info(pids[0]!)!.status).toBe('waiting');
    // Wake a sample of them: each one takes its message and exits normally.
    const sample = [0, 1, N >> 1, N - 2, N - 1].map((i) => pids[i]!);
    const exits = sample.map((pid) => system.join(pid));
    for (const pid of sample) system.send(pid, 'wake');
    expect(await Promise.all(exits)).toEqual(sample.map(() => 'normal'));
  });
});
