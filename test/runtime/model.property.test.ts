/**
 * Property test: random programs of sends and selective receives run on the runtime and on the
 * reference interpreter of Erlang semantics (test/support/erlang-model.ts); each actor must
 * receive the same messages in the same order and be left with the same mailbox.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { start, type ActorSystem, type Inbox, type Pid } from '../../runtime/index.js';
import { ModelActor, ModelActorGen } from '../fixtures/actors.js';
import { ErlangModel, PREDICATES, type Command, type Event } from '../support/erlang-model.js';
import { flush } from '../support/receive.js';

const ACTORS = 3;

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('send' as const), from: fc.constantFrom<'driver' | number>('driver', 0, 1, 2), to: fc.integer({ min: 0, max: ACTORS - 1 }), v: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('recv' as const), actor: fc.integer({ min: 0, max: ACTORS - 1 }), pred: fc.integer({ min: 0, max: PREDICATES.length - 1 }), block: fc.boolean() }) },
);

/** Lets every message sent so far be processed (same thread: a macrotask turn drains everything). */
const settle = () => new Promise<void>((r) => setImmediate(r));

let system: ActorSystem;
let driver: Inbox;

beforeEach(async () => {
  system = await start({ logLevel: 'silent' });
  driver = system.inbox();
});
afterEach(() => system.shutdown());

async function runOnRuntime(forms: boolean[], program: Command[]) {
  const pids: Pid[] = forms.map((gen, i) => system.spawn(gen ? ModelActorGen : ModelActor, i, driver.self));
  for (const cmd of program) {
    if (cmd.kind === 'send') {
      if (cmd.from === 'driver') system.send(pids[cmd.to]!, { v: cmd.v });
      else system.send(pids[cmd.from]!, { cmd: 'send', to: pids[cmd.to]!, value: cmd.v });
    } else {
      system.send(pids[cmd.actor]!, { cmd: 'recv', pred: cmd.pred, block: cmd.block });
    }
    await settle();
  }
  for (const pid of pids) system.send(pid, { cmd: 'drain' });
  await settle();
  const reports = (await flush(driver)) as ({ index: number; event: Event } | { index: number; left: number[] })[];
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

describe('model', () => {
  it('model - random sends and selective receives agree with the Erlang reference interpreter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: ACTORS, maxLength: ACTORS }), fc.array(commandArb, { maxLength: 60 }), async (forms, program) => {
        const model = new ErlangModel(ACTORS);
        for (const cmd of program) model.run(cmd);
        const expected = model.result().map((a) => ({ events: a.events, blocked: a.blocked, left: a.blocked ? [] : a.left }));
        const actual = await runOnRuntime(forms, program);
        for (const pid of system.processes()) if (!pid.equals(driver.self)) system.exit(pid, 'kill');
        expect(actual).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });
});
