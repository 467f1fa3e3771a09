import { describe, expect, it } from 'vitest';
import { start } from '../../runtime/index.js';
import { Echo } from '../fixtures/actors.js';
import { Offloading, OffloadingGen } from '../fixtures/tasks.js';
import { assertReceive } from '../support/receive.js';

describe.each([0, 1])('offload (scheduler threads: %i)', (schedulers) => {
  it('offload - other actors on the scheduler progress during a 500 ms offloaded job', async () => {
    const system = await start({ logLevel: 'silent', schedulers });
    try {
      const me = system.inbox();
      const echo = system.spawnOpt(Echo, [], { scheduler: schedulers });
      // Warm the pool up so the measured job is the busy one.
      system.spawnOpt(Offloading, [0, me.self], { scheduler: schedulers });
      expect(await assertReceive(me, (m) => 'offloaded' in m, 20_000)).toEqual({ offloaded: { ran: true } });

      system.spawnOpt(Offloading, [500, me.self], { scheduler: schedulers });
      let echoes = 0;
      for (;;) {
        system.send(echo, { from: me.self, value: echoes });
        const m = await assertReceive(me, (x) => 'offloaded' in x || 'echo' in x, 20_000);
        if ('offloaded' in m) break;
        echoes++;
      }
      // The echo actor answered many times while the job ran (a blocked scheduler would answer none).
      expect(echoes).toBeGreaterThan(10);
    } finally {
      await system.shutdown();
    }
  });

  it('offload - a failing task rejects in the actor (generator form, yielding the promise)', async () => {
    const system = await start({ logLevel: 'silent', schedulers });
    try {
      const me = system.inbox();
      system.spawnOpt(OffloadingGen, ['task failed', me.self], { scheduler: schedulers });
      expect(await assertReceive(me, undefined, 20_000)).toEqual({ failed: 'task failed' });
    } finally {
      await system.shutdown();
    }
  });
});
