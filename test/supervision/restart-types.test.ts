/**
 * Fault injection, the restart matrix: for each restart type × exit reason, whether the child is
 * restarted (OTP's supervisor rules, docs/otp.md's table), and which reports are logged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { start, type ActorSystem, type Inbox, type Pid } from '../../runtime/index.js';
import { Supervisor, type RestartType } from '../../actors/index.js';
import { assertReceive } from '../support/receive.js';
import { Probe } from '../actors/fixtures.js';
import { captureLog, children, exitAndWait, startSupervisor, type CapturedLog } from './support.js';

let system: ActorSystem;
let me: Inbox;
let log: CapturedLog;

beforeEach(async () => {
  log = captureLog();
  system = await start({ logger: log.logger, shutdownTimeoutMs: 500 });
  me = system.inbox();
});

afterEach(async () => {
  await system.shutdown();
});

type Reason = 'normal' | 'shutdown' | 'error' | 'killed';

const expected: Record<RestartType, Record<Reason, boolean>> = {
  permanent: { normal: true, shutdown: true, error: true, killed: true },
  transient: { normal: false, shutdown: false, error: true, killed: true },
  temporary: { normal: false, shutdown: false, error: false, killed: false },
};

function makeExit(system: ActorSystem, pid: Pid, reason: Reason): void {
  if (reason === 'killed') system.exit(pid, 'kill');
  else if (reason === 'error') system.send(pid, 'crash');
  else system.send(pid, { exit: reason });
}

describe.each(['permanent', 'transient', 'temporary'] as const)('restart type %s', (restart) => {
  it.each(['normal', 'shutdown', 'error', 'killed'] as const)('exit %s - restarted as the rules say', async (reason) => {
    const sup = await startSupervisor(system, {
      strategy: 'one_for_one',
      intensity: 10,
      children: [
        { id: 'other', start: { actor: Probe, args: ['other', null] } },
        { id: 'c', restart, start: { actor: Probe, args: ['c', me.self] } },
      ],
    });
    const first = await assertReceive(me, (m) => m.started === 'c');
    const before = await children(system, sup);
    const exitReason = await exitAndWait(system, first.pid, () => makeExit(system, first.pid, reason));
    if (reason === 'error') expect((exitReason as Error).message).toBe('c crashed');
    else expect(exitReason).toBe(reason);

    // The supervisor takes the EXIT before this call (it arrived first), so no waiting is needed.
    const after = await children(system, sup);
    const restarted = expected[restart][reason];
    if (restarted) {
      const again = await assertReceive(me, (m) => m.started === 'c');
      expect(after.get('c')?.pid?.equals(again.pid)).toBe(true);
      expect(again.pid.equals(first.pid)).toBe(false);
    } else if (restart === 'temporary') {
      expect(after.has('c')).toBe(false); // a temporary child's spec goes with it
    } else {
      expect(after.get('c')?.pid).toBeUndefined(); // the spec stays, not running
    }
    // The sibling is untouched (one_for_one).
    expect(after.get('other')?.pid?.equals(before.get('other')!.pid!)).toBe(true);

    // Reports: a crash report only for abnormal reasons; a restart report for each restart.
    const crashes = log.reports('child_terminated');
    const abnormal = reason === 'error' || reason === 'killed';
    expect(crashes.length).toBe(abnormal ? 1 : 0);
    if (abnormal) {
      expect(crashes[0]!.child).toMatchObject({ id: 'c', pid: first.pid.toString() });
      expect(crashes[0]!.reason).toBe(reason === 'error' ? 'Error: c crashed' : 'killed');
      if (reason === 'error') expect(crashes[0]!.stack).toContain('c crashed');
    }
    expect(log.reports('child_restarted').length).toBe(restarted ? 1 : 0);
  });
});
