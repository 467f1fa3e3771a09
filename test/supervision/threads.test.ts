/**
 * Supervisors with children on other schedulers: restarts, shutdown order and a scheduler
 * thread that dies under its children (they exit `scheduler_down` and are restarted).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDownMessage, start, type ActorSystem, type Context, type Inbox, type Pid } from '../../runtime/index.js';
import { GenServer, Supervisor, type SupervisorSpec } from '../../actors/index.js';
import { ThreadKiller } from '../fixtures/actors.js';
import { assertReceive } from '../support/receive.js';
import { Probe, Worker } from '../actors/fixtures.js';
import { childPid, startSupervisor } from './support.js';

let system: ActorSystem;
let me: Inbox;

beforeEach(async () => {
  system = await start({ logLevel: 'silent', schedulers: 2, shutdownTimeoutMs: 1_000, stallTimeoutMs: 1_000 });
  me = system.inbox();
});

afterEach(async () => {
  await system.shutdown();
});

/** The exit reason of `pid`, from a monitor set up now (join does not see other threads). */
function exitOf(pid: Pid): Promise<unknown> {
  const w = system.inbox();
  const ref = w.monitor(pid);
  return assertReceive(w, (m) => isDownMessage(m) && m.ref.equals(ref), 10_000).then((m) => {
    w.close();
    return m.reason;
  });
}

/** Polls the supervisor (with a deadline) until child `id` runs under a pid other than `old`. */
async function replaced(sup: Pid, id: string, old: Pid): Promise<Pid> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const c = (await Supervisor.whichChildren(system, sup)).find((x) => x.id === id);
    if (c?.pid !== undefined && !c.pid.equals(old)) return c.pid;
    if (Date.now() > deadline) throw new Error(`child ${id} was not restarted within 10 s`);
    await me.receive(() => false, 10);
  }
}

describe('supervision across threads', () => {
  it('restart - children on scheduler threads are restarted where their spec places them', async () => {
    const sup = await startSupervisor(system, {
      children: [
        { id: 'a', scheduler: 1, start: { server: Worker, args: { id: 'a' } } },
        { id: 'b', scheduler: 2, start: { actor: Probe, args: ['b', me.self] } },
      ],
    });
    await assertReceive(me, (m) => m.started === 'b', 10_000);
    const a = await childPid(system, sup, 'a');
    const b = await childPid(system, sup, 'b');
    expect([a.scheduler, b.scheduler]).toEqual([1, 2]);
    await expect(GenServer.call(system, a, 'crash')).rejects.toMatchObject({ name: 'CallExitError' });
    const a2 = await replaced(sup, 'a', a);
    expect(a2.scheduler).toBe(1);
    expect(await GenServer.call(system, a2, 'ping')).toBe('pong');
    const bExit = exitOf(b);
    system.exit(b, 'kill');
    expect(await bExit).toBe('killed');
    const b2 = await replaced(sup, 'b', b);
    expect(b2.scheduler).toBe(2);
    await assertReceive(me, (m) => m.started === 'b' && m.pid.equals(b2), 10_000);
  });

  it('shutdown - remote children stop in reverse start order', async () => {
    const sup = await startSupervisor(system, {
      children: ['a', 'b', 'c'].map((id, i) => ({ id, scheduler: 1 + (i % 2), start: { actor: Probe, args: [id, me.self, true] } })),
    });
    for (const id of ['a', 'b', 'c']) await assertReceive(me, (m) => m.started === id, 10_000);
    await GenServer.stop(system, sup, 'shutdown');
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await assertReceive(me, (m) => m.stopping !== undefined, 10_000)).stopping);
    expect(order).toEqual(['c', 'b', 'a']);
  });

  it('scheduler down - a child whose thread dies exits scheduler_down and is restarted', async () => {
    // A supervisor started by a parent has a link before its children start (see the runtime
    // note in test/actors/threads.test.ts): then it learns of its remote children's exits.
    const spec: SupervisorSpec = {
      intensity: 10,
      children: [
        { id: 'w', scheduler: 1, start: { server: Worker, args: { id: 'w' } } },
        { id: 'killer', scheduler: 1, restart: 'temporary', start: { actor: ThreadKiller, args: ['exit'] } },
      ],
    };
    system.spawn(async (ctx: Context, report: Pid) => {
      ctx.trapExit(true);
      ctx.send(report, { sup: await Supervisor.startLink(ctx, spec) });
      await ctx.receive(() => false);
    }, me.self);
    const sup: Pid = (await assertReceive(me, (m) => m.sup !== undefined, 10_000)).sup.pid;
    const w = await childPid(system, sup, 'w');
    const killer = await childPid(system, sup, 'killer');
    const wExit = exitOf(w);
    system.send(killer, 'go');
    expect(await wExit).toBe('scheduler_down');
    const w2 = await replaced(sup, 'w', w);
    expect(await GenServer.call(system, w2, 'ping', 10_000)).toBe('pong');
    expect((await Supervisor.whichChildren(system, sup)).map((c) => c.id)).toEqual(['w']); // the temporary killer is gone
  });
});
