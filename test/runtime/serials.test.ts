/**
 * Pid and ref serials past the old limits: an Int32 shared counter went negative after 2^31
 * spawns on one scheduler (every frame for such a pid was then dropped as to a dead thread's
 * actor), ref-block counters after 2^31 blocks (ref serial 2^43), and pidKey took
 * scheduler · 2^32 + serial, so serials past 2^32 met another scheduler's keys. The counters
 * are preset (presetSerials, internal) instead of spawning billions of actors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  SerialsExhaustedError,
  isDownMessage,
  isExitMessage,
  start,
  type ActorSystem,
  type Inbox,
  type Pid,
  type Ref,
} from '../../runtime/index.js';
import { presetSerials, REF_BLOCK, SCHEDULER_IDS, SERIAL_LIMIT, threadsOf } from '../../runtime/internal.js';
import { Agent, type AgentCmd } from '../fixtures/serial-actors.js';
import { AliasCaller, Echo, ThreadKiller } from '../fixtures/actors.js';
import { assertReceive, eventually, refuteReceive } from '../support/receive.js';

const systems: ActorSystem[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown();
});

async function startSystem(schedulers: number): Promise<ActorSystem> {
  const sys = await start({ logLevel: 'silent', schedulers, shutdownTimeoutMs: 500 });
  systems.push(sys);
  return sys;
}

/** Takes `count` messages accepted by `match`, in arrival order. */
async function collect<T = any>(me: Inbox, count: number, match: (m: any) => boolean): Promise<T[]> {
  const out: T[] = [];
  while (out.length < count) out.push(await assertReceive<T>(me, match, 10_000));
  return out;
}

/** Sets every scheduler of `sys` so that its next pid serials are `pid` and its refs, once `REF_BLOCK - 3` more are made, reach `ref - 2`. */
function preset(sys: ActorSystem, pid: (id: number) => number, ref: (id: number) => number): void {
  for (let id = 0; id < sys.schedulers; id++) presetSerials(sys, id, { pid: pid(id), ref: ref(id) - REF_BLOCK + 1 });
}

const key = (p: Pid | Ref): string => p.toString();

/**
 * Agents spread over every scheduler, with pid and ref serials on both sides of whatever the
 * counters were preset to, exercise messages (pid, name, alias), links and monitors with each
 * other, same-thread and cross-thread, and report everything to `me`.
 */
async function exercise(sys: ActorSystem, me: Inbox, perScheduler: number): Promise<{ pids: Pid[]; refs: Ref[] }> {
  const agents: Pid[] = [];
  for (let id = 0; id < sys.schedulers; id++) {
    for (let i = 0; i < perScheduler; i++) agents.push(sys.spawnOpt(Agent, [me.self], { scheduler: id }));
  }
  const tell = (to: Pid, c: AgentCmd) => sys.send(to, c);
  const done = (what: string) => (m: any) => m.done === what;
  const n = agents.length;
  const at = (pid: Pid) => agents.findIndex((a) => a.equals(pid));

  // Use up all but 3 refs of each scheduler's preset block: the next refs straddle the limit.
  for (let id = 0; id < sys.schedulers; id++) tell(agents[id * perScheduler]!, { cmd: 'burn', n: REF_BLOCK - 3 });
  await collect(me, sys.schedulers, done('burn'));

  // Names: each agent registers; a send by name reaches it, and whereis names it.
  for (const [i, a] of agents.entries()) tell(a, { cmd: 'register', name: `agent-${i}` });
  for (const r of await collect(me, n, done('register'))) expect(r.result).toEqual({ ok: true });
  for (const [i, a] of agents.entries()) {
    expect(sys.whereis(`agent-${i}`)?.equals(a)).toBe(true);
    sys.send(`agent-${i}`, { byName: i });
  }
  for (const m of await collect(me, n, (m) => m.got?.byName !== undefined)) expect(agents[m.got.byName]!.equals(m.from)).toBe(true);

  // Aliases: each agent makes one; every agent sends to every alias (and to every pid).
  for (const a of agents) tell(a, { cmd: 'alias' });
  const aliases = new Map<number, Ref>();
  for (const r of await collect(me, n, done('alias'))) aliases.set(at(r.from), r.alias);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      tell(agents[i]!, { cmd: 'send', to: aliases.get(j)!, msg: { viaAlias: [i, j] } });
      tell(agents[i]!, { cmd: 'send', to: agents[j]!, msg: { viaPid: [i, j] } });
    }
  }
  const seen = new Set<string>();
  for (const m of await collect(me, 2 * n * n, (m) => m.got?.viaAlias !== undefined || m.got?.viaPid !== undefined)) {
    const [i, j] = (m.got.viaAlias ?? m.got.viaPid) as [number, number];
    expect(agents[j]!.equals(m.from)).toBe(true);
    seen.add(`${m.got.viaAlias ? 'alias' : 'pid'} ${i}->${j}`);
  }
  expect(seen.size).toBe(2 * n * n);

  // Links and monitors between every pair.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      if (i < j) tell(agents[i]!, { cmd: 'link', pid: agents[j]! });
      tell(agents[i]!, { cmd: 'monitor', pid: agents[j]! });
    }
  }
  await collect(me, (n * (n - 1)) / 2, done('link'));
  const monitors = new Map<string, Ref>(); // "watcher target" -> the monitor's ref
  for (const r of await collect(me, n * (n - 1), done('monitor'))) monitors.set(`${at(r.from)} ${at(r.pid)}`, r.ref);
  const refs: Ref[] = [...aliases.values(), ...monitors.values()];
  expect(new Set(refs.map(key)).size).toBe(refs.length);

  // Kill them one by one: each one still alive gets exactly one EXIT and one DOWN (with its
  // monitor's ref) per death, and the dead one's name is freed.
  for (let i = 0; i < n; i++) {
    sys.exit(agents[i]!, 'kill');
    const alive = n - 1 - i;
    const got = await collect(me, 2 * alive, (m) => (isExitMessage(m.got) || isDownMessage(m.got)) && (m.got.from ?? m.got.pid).equals(agents[i]));
    const exits = got.filter((m) => isExitMessage(m.got)).map((m) => at(m.from));
    const downs = got.filter((m) => isDownMessage(m.got)).map((m) => at(m.from));
    const expected = Array.from({ length: alive }, (_, k) => i + 1 + k);
    expect(exits.sort((a, b) => a - b)).toEqual(expected);
    expect(downs.sort((a, b) => a - b)).toEqual(expected);
    for (const m of got) {
      expect(m.got.reason).toBe('killed');
      if (isDownMessage(m.got)) expect(m.got.ref.equals(monitors.get(`${at(m.from)} ${i}`))).toBe(true);
    }
    await eventually(() => sys.whereis(`agent-${i}`) === undefined, `the name of agent ${i} is freed`);
  }
  await refuteReceive(me, (m) => m.got !== undefined);
  return { pids: agents, refs };
}

/** True when some of `ids` are below `limit` and some at or above it, on every scheduler of `sys`. */
function straddles(sys: ActorSystem, ids: (Pid | Ref)[], limit: number): boolean {
  for (let id = 0; id < sys.schedulers; id++) {
    const mine = ids.filter((p) => p.scheduler === id).map((p) => p.serial);
    if (!mine.some((s) => s < limit) || !mine.some((s) => s > limit)) return false;
  }
  return true;
}

describe.each([
  ['a lone scheduler', 0],
  ['scheduler threads', 2],
])('serials - %s', (_, schedulers) => {
  it.each([
    ['2^31 (where an Int32 counter went negative)', 2 ** 31],
    ['2^32 (where the old pidKey reached the next scheduler\'s keys)', 2 ** 32],
    ['2^43 (where an Int32 ref-block counter went negative)', 2 ** 43],
  ])('serials - messages, names, aliases, links and monitors work on both sides of %s', async (_, limit) => {
    const sys = await startSystem(schedulers);
    preset(sys, () => limit - 3, () => limit);
    const me = sys.inbox();
    const { pids, refs } = await exercise(sys, me, 6);
    expect(straddles(sys, pids, limit)).toBe(true);
    expect(straddles(sys, refs, limit)).toBe(true);
  });

  it('serials - the last serial below SERIAL_LIMIT is handed out, then spawn and makeRef throw SerialsExhaustedError', async () => {
    const sys = await startSystem(schedulers);
    const me = sys.inbox();
    const last = sys.schedulers - 1;
    presetSerials(sys, last, { pid: SERIAL_LIMIT - 1 });
    const pid = sys.spawnOpt(Echo, [], { scheduler: last });
    expect(pid.serial).toBe(SERIAL_LIMIT - 1);
    sys.send(pid, { from: me.self, value: 'last one' });
    expect((await assertReceive(me)).echo).toBe('last one');
    expect(() => sys.spawnOpt(Echo, [], { scheduler: last })).toThrow(SerialsExhaustedError);
    expect(() => sys.spawnOpt(Echo, [], { scheduler: last })).toThrow(/pid serials of scheduler \d+ are exhausted/);
    // Refs: a whole block must fit below the limit.
    presetSerials(sys, 0, { ref: SERIAL_LIMIT - 2 * REF_BLOCK + 1 });
    expect(me.makeRef().serial).toBe(SERIAL_LIMIT - 2 * REF_BLOCK + 1);
    presetSerials(sys, 0, { ref: SERIAL_LIMIT - REF_BLOCK + 1 });
    expect(() => me.makeRef()).toThrow(SerialsExhaustedError);
  });
});

describe('serials - scheduler threads', () => {
  it('serials - pids and refs of one scheduler past 2^32 never meet those of the next one in a table', async () => {
    // Under the old pidKey, scheduler 0's serial 2^32 + k and scheduler 1's serial k had the
    // same key: a link or monitor to one replaced the other's (a lost EXIT or DOWN).
    const sys = await startSystem(2);
    preset(sys, (id) => (id === 0 ? 2 ** 32 - 3 : 1), (id) => (id === 0 ? 2 ** 32 : REF_BLOCK));
    const me = sys.inbox();
    const { pids } = await exercise(sys, me, 6);
    const small = new Set(pids.filter((p) => p.scheduler === 1).map((p) => p.serial));
    expect(pids.some((p) => p.scheduler === 0 && small.has(p.serial - 2 ** 32))).toBe(true);
  });

  it('serials - a thread replaced past the old limits drops frames for its dead actors and aliases, and serves new ones', async () => {
    const sys = await startSystem(1);
    preset(sys, () => 2 ** 32 + 10, () => 2 ** 43);
    const inbox = sys.inbox();
    const echo = sys.spawnOpt(Echo, [], { scheduler: 0 });
    const before = sys.spawnOpt(AliasCaller, [echo, inbox.self], { scheduler: 1 });
    sys.send(before, { go: 'before' });
    const { alias: deadAlias } = await assertReceive(inbox, (m) => m.answered === 'before', 10_000);
    expect(before.serial).toBeGreaterThan(2 ** 32);
    expect((deadAlias as Ref).serial).toBeGreaterThan(2 ** 42);
    const ref = inbox.monitor(before);
    sys.send(sys.spawnOpt(ThreadKiller, ['exit'], { scheduler: 1 }), 'go');
    expect((await assertReceive(inbox, (m) => isDownMessage(m) && m.ref.equals(ref), 10_000)).reason).toBe('scheduler_down');
    expect(threadsOf(sys)!.restarts[1]).toBe(1);

    const after = sys.spawnOpt(AliasCaller, [echo, inbox.self], { scheduler: 1 });
    expect(after.serial).toBeGreaterThan(before.serial);
    sys.send(after, { go: 'after' });
    const { alias } = await assertReceive(inbox, (m) => m.answered === 'after', 10_000);
    expect((alias as Ref).serial).toBeGreaterThan((deadAlias as Ref).serial);
    // A late answer to the dead thread's alias reaches no one; a link to its dead actor gets noproc.
    sys.send(deadAlias, { echo: 'stale' });
    sys.send(after, { go: 'again' });
    await assertReceive(inbox, (m) => m.answered === 'again', 10_000);
    await refuteReceive(inbox, (m) => m.answered !== undefined);
    inbox.trapExit(true);
    inbox.link(before);
    expect((await assertReceive(inbox, isExitMessage, 10_000)).reason).toBe('noproc');
  });

  it('serials - start refuses more scheduler threads than pidKey has room for', async () => {
    await expect(start({ schedulers: SCHEDULER_IDS })).rejects.toThrow(`expected schedulers to be at most ${SCHEDULER_IDS - 1}, got: ${SCHEDULER_IDS}`);
  });
});
