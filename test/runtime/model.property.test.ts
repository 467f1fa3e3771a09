/**
 * Property test: random programs of sends and selective receives run on the runtime and on the
 * reference interpreter of Erlang semantics (test/support/erlang-model.ts); each actor must
 * receive the same messages in the same order and be left with the same mailbox. Receives match
 * by function or by pattern (`{ r: 1 }`, PATTERNS), interleaved, so the pattern scan memo is
 * exercised among other receives. The same
 * programs run with every actor on the main thread and with actors spread over threads.
 *
 * The driver keeps the runtime in step with the model: after each command it waits for the
 * reports the model says that command causes (a receive's result, an actor's send), so the
 * next command cannot overtake them. An actor's send is reported once the message has reached
 * its destination's thread (ModelArrival), not when it was sent: the model delivers at once,
 * and the runtime promises order only per pair of actors, so the driver's next message to the
 * same actor could otherwise arrive first from another thread's ring.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMEOUT, start, type ActorSystem, type Inbox, type Pid } from '../../runtime/index.js';
import { ModelActor, ModelActorGen, ModelArrival } from '../fixtures/actors.js';
import { ErlangModel, PREDICATES, dataMessage, type Command, type Event } from '../support/erlang-model.js';

const ACTORS = 3;

// Half the receives by pattern (the last three predicates), so one actor often receives by the
// same pattern twice in a row: the case where its scan memo skips messages.
const predArb = fc.oneof(fc.integer({ min: 0, max: PREDICATES.length - 1 }), fc.integer({ min: PREDICATES.length - 3, max: PREDICATES.length - 1 }));

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('send' as const), from: fc.constantFrom<'driver' | number>('driver', 0, 1, 2), to: fc.integer({ min: 0, max: ACTORS - 1 }), v: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('recv' as const), actor: fc.integer({ min: 0, max: ACTORS - 1 }), pred: predArb, block: fc.boolean() }) },
);

type Report = { index: number; event: Event } | { index: number; sent: true } | { index: number; left: number[] };

describe.each([
  ['one thread', 0],
  ['three threads', 2],
] as const)('model (%s)', (_label, schedulers) => {
  let system: ActorSystem;
  let driver: Inbox;

  beforeAll(async () => {
    system = await start({ logLevel: 'silent', schedulers, shutdownTimeoutMs: 200 });
    driver = system.inbox();
  });
  afterAll(() => system.shutdown());

  async function collect(reports: Report[], count: number): Promise<void> {
    while (reports.length < count) {
      const r = await driver.receive<Report>(undefined, 5_000);
      if (r === TIMEOUT) throw new Error(`model: expected ${count} reports, got ${reports.length}: ${JSON.stringify(reports)}`);
      reports.push(r);
    }
  }

  async function runOnRuntime(forms: boolean[], program: Command[], model: ErlangModel) {
    const threadOf = (i: number) => (schedulers === 0 ? 0 : i % (schedulers + 1));
    const pids: Pid[] = forms.map((gen, i) => system.spawnOpt(gen ? ModelActorGen : ModelActor, [i, driver.self], { scheduler: threadOf(i) }));
    const arrivals: Pid[] = Array.from({ length: schedulers + 1 }, (_, t) => system.spawnOpt(ModelArrival, [], { scheduler: t }));
    const reports: Report[] = [];
    for (const cmd of program) {
      if (cmd.kind === 'send') {
        if (cmd.from === 'driver') system.send(pids[cmd.to]!, dataMessage(cmd.v));
        else system.send(pids[cmd.from]!, { cmd: 'send', to: pids[cmd.to]!, value: cmd.v, arrival: arrivals[threadOf(cmd.to)]! });
      } else {
        system.send(pids[cmd.actor]!, { cmd: 'recv', pred: cmd.pred, block: cmd.block });
      }
      model.run(cmd);
      await collect(reports, model.outputs);
    }
    const unblocked = model.result().filter((a) => !a.blocked).length;
    for (const pid of pids) system.send(pid, { cmd: 'drain' });
    await collect(reports, model.outputs + unblocked);
    for (const pid of [...pids, ...arrivals]) system.exit(pid, 'kill');
    return pids.map((_, i) => {
      const mine = reports.filter((r) => r.index === i);
      const drained = mine.find((r) => 'left' in r) as { left: number[] } | undefined;
      return {
        events: mine.filter((r) => 'event' in r).map((r) => (r as { event: Event }).event),
        blocked: drained === undefined,
        left: drained?.left ?? [],
      };
    });
  }

  it('model - random sends and selective receives agree with the Erlang reference interpreter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: ACTORS, maxLength: ACTORS }), fc.array(commandArb, { maxLength: 60 }), async (forms, program) => {
        const model = new ErlangModel(ACTORS);
        const actual = await runOnRuntime(forms, program, model);
        const expected = model.result().map((a) => ({ events: a.events, blocked: a.blocked, left: a.blocked ? [] : a.left }));
        expect(actual).toEqual(expected);
      }),
      { numRuns: schedulers === 0 ? 200 : 60 },
    );
  });
});
