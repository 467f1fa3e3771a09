/**
 * Dynamic children: simple_one_for_one templates, startChild/terminateChild/restartChild/
 * deleteChild on a running supervisor, counts, and children named through a registry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadArgError, start, type ActorSystem, type Inbox, type Pid } from '../../runtime/index.js';
import { GenServer, Registry, Supervisor } from '../../actors/index.js';
import { assertReceive } from '../support/receive.js';
import { Ignoring, Probe, Worker } from '../actors/fixtures.js';
import { childPid, children, exitAndWait, startSupervisor } from './support.js';

let system: ActorSystem;
let me: Inbox;

beforeEach(async () => {
  system = await start({ logLevel: 'silent', shutdownTimeoutMs: 500 });
  me = system.inbox();
});

afterEach(async () => {
  await system.shutdown();
});

describe('simple_one_for_one', () => {
  it('startChild - each call starts a child from the template with its extra argument', async () => {
    const sup = await startSupervisor(system, {
      strategy: 'simple_one_for_one',
      children: [{ id: 'worker', restart: 'transient', start: { server: Worker, args: { id: 'template' } } }],
    });
    expect(await Supervisor.countChildren(system, sup)).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 0 });
    const pids: Pid[] = [];
    for (const id of ['w1', 'w2', 'w3']) {
      const r = await Supervisor.startChild(system, sup, [{ id, report: me.self }]);
      expect(r.ok).toBe(true);
      pids.push((r as { pid: Pid }).pid);
      expect(await assertReceive(me, (m) => m.started)).toMatchObject({ started: id });
    }
    expect(await Supervisor.countChildren(system, sup)).toEqual({ specs: 3, active: 3, supervisors: 0, workers: 3 });
    const which = await Supervisor.whichChildren(system, sup);
    expect(which.map((c) => c.pid!.toString())).toEqual(pids.map(String));

    // terminateChild by pid removes it.
    expect(await Supervisor.terminateChild(system, sup, pids[0]!)).toEqual({ ok: true });
    expect((await Supervisor.countChildren(system, sup)).active).toBe(2);

    // A transient child that crashes is restarted with the same extra argument…
    await exitAndWait(system, pids[1]!, () => GenServer.cast(system, pids[1]!, 'crash'));
    expect(await assertReceive(me, (m) => m.started)).toMatchObject({ started: 'w2' });
    // …one that stops normally is removed.
    await exitAndWait(system, pids[2]!, () => void GenServer.call(system, pids[2]!, { stop: 'normal' }));
    const left = await Supervisor.whichChildren(system, sup);
    expect(left.length).toBe(1);
    expect(left[0]!.pid!.equals(pids[1]!)).toBe(false);
  });

  it('startChild - an actor template gets its args followed by the extra ones', async () => {
    const sup = await startSupervisor(system, {
      strategy: 'simple_one_for_one',
      children: [{ id: 'probe', start: { actor: Probe, args: [] } }],
    });
    await Supervisor.startChild(system, sup, ['p1', me.self]);
    expect(await assertReceive(me, (m) => m.started)).toMatchObject({ started: 'p1' });
  });

  it('misuse - a child spec to simple_one_for_one, extra args to another strategy', async () => {
    const simple = await startSupervisor(system, { strategy: 'simple_one_for_one', children: [{ id: 't', start: { actor: Probe, args: [] } }] });
    await expect(Supervisor.startChild(system, simple, { id: 'x', start: { actor: Probe } })).rejects.toBeInstanceOf(BadArgError);
    const plain = await startSupervisor(system, { children: [] });
    await expect(Supervisor.startChild(system, plain, ['x'])).rejects.toBeInstanceOf(BadArgError);
    expect(() => Supervisor.startChild(system, plain, { id: 'f', start: () => me.self })).toThrow(/start function cannot be sent/);
  });
});

describe('dynamic children of other strategies', () => {
  it('startChild / terminateChild / restartChild / deleteChild', async () => {
    const sup = await startSupervisor(system, { children: [] });
    const spec = { id: 'w', start: { server: Worker, args: { id: 'w', report: me.self } } };
    const r = await Supervisor.startChild(system, sup, spec);
    expect(r.ok).toBe(true);
    await assertReceive(me, (m) => m.started === 'w');
    expect(await Supervisor.startChild(system, sup, spec)).toEqual({ ok: false, error: 'already_started', pid: (r as { pid: Pid }).pid });
    expect(await Supervisor.deleteChild(system, sup, 'w')).toEqual({ ok: false, error: 'running' });
    expect(await Supervisor.terminateChild(system, sup, 'w')).toEqual({ ok: true });
    expect(await Supervisor.startChild(system, sup, spec)).toEqual({ ok: false, error: 'already_present' });
    const again = await Supervisor.restartChild(system, sup, 'w');
    expect(again.ok).toBe(true);
    await assertReceive(me, (m) => m.started === 'w');
    expect(await Supervisor.restartChild(system, sup, 'w')).toEqual({ ok: false, error: 'running' });
    await Supervisor.terminateChild(system, sup, 'w');
    expect(await Supervisor.deleteChild(system, sup, 'w')).toEqual({ ok: true });
    expect(await Supervisor.whichChildren(system, sup)).toEqual([]);
    expect(await Supervisor.terminateChild(system, sup, 'w')).toEqual({ ok: false, error: 'not_found' });
  });

  it('startChild - a nested supervisor by inline spec is sent as data', async () => {
    const sup = await startSupervisor(system, { children: [] });
    const r = await Supervisor.startChild(system, sup, {
      id: 'inner',
      start: { supervisor: { children: [{ id: 'p', start: { actor: Probe, args: ['p', me.self] } }] } },
    });
    expect(r.ok).toBe(true);
    await assertReceive(me, (m) => m.started === 'p');
    expect((await children(system, sup)).get('inner')?.type).toBe('supervisor');
  });
});

describe('registry names for children', () => {
  it('via - a restarted child takes its via name again', async () => {
    const sup = await startSupervisor(system, {
      strategy: 'rest_for_one',
      children: [
        Registry.childSpec('registry', 'names'),
        { id: 'w', start: { server: Worker, args: { id: 'w' }, name: Registry.via('names', 'worker') } },
      ],
    });
    const name = Registry.via('names', 'worker');
    const before = await GenServer.call(system, name, 'self');
    expect(before.equals(await childPid(system, sup, 'w'))).toBe(true);
    await expect(GenServer.call(system, name, 'crash')).rejects.toMatchObject({ name: 'CallExitError' });
    const after: Pid = await GenServer.call(system, name, 'self');
    expect(after.equals(before)).toBe(false);
    expect(after.equals(await childPid(system, sup, 'w'))).toBe(true);
  });
});

describe('ignore and failed starts', () => {
  it('ignore - a supervisor module whose init returns ignore does not start', async () => {
    expect(await Supervisor.start(system, Ignoring)).toEqual({ ok: false, error: 'ignore' });
  });

  it('startChild - a child that fails to start is not added; one that ignores is kept unless temporary', async () => {
    const sup = await startSupervisor(system, { children: [] });
    const failed = await Supervisor.startChild(system, sup, { id: 'f', start: { server: Worker, args: { id: 'f', initFail: 'throw' } } });
    expect(failed.ok).toBe(false);
    expect(await Supervisor.startChild(system, sup, { id: 'i', start: { server: Worker, args: { id: 'i', initFail: 'ignore' } } })).toEqual({ ok: false, error: 'ignore' });
    expect(await Supervisor.startChild(system, sup, { id: 't', restart: 'temporary', start: { server: Worker, args: { id: 't', initFail: 'ignore' } } })).toEqual({ ok: false, error: 'ignore' });
    expect((await Supervisor.whichChildren(system, sup)).map((c) => [c.id, c.pid])).toEqual([['i', undefined]]);
  });
});
