import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ReceiveTimers, type TimeoutWaiter } from '../../runtime/receive-timers.js';

const run = promisify(execFile);

/** A waiter as a process is one: it keeps the seq `add` returns, and records when it times out. */
function waiter(name: string, fired: string[], done?: () => void): TimeoutWaiter {
  return {
    receiveTimer: 0,
    onReceiveTimeout() {
      fired.push(name);
      done?.();
    },
  };
}

function wait(timers: ReceiveTimers, w: TimeoutWaiter, ms: number): void {
  w.receiveTimer = timers.add(w, ms);
}

describe('receive timers', () => {
  it('receive timers - due waiters time out in deadline order; a cancelled one never does', async () => {
    const timers = new ReceiveTimers();
    const fired: string[] = [];
    let last!: () => void;
    const finished = new Promise<void>((r) => (last = r));
    const a = waiter('a', fired, last);
    const b = waiter('b', fired);
    const c = waiter('c', fired);
    wait(timers, a, 40);
    wait(timers, b, 5); // added later, due first: the one Node timer is re-armed
    wait(timers, c, 20);
    timers.cancel(c);
    await finished;
    expect(fired).toEqual(['b', 'a']);
    expect(a.receiveTimer).toBe(0);
  });

  it('receive timers - a flood of answered waits (stale entries, rebuilds) leaves pending ones intact', async () => {
    const timers = new ReceiveTimers();
    const fired: string[] = [];
    let count = 0;
    let both!: () => void;
    const finished = new Promise<void>((r) => (both = r));
    const onDue = () => {
      if (++count === 2) both();
    };
    const early = waiter('early', fired, onDue);
    const late = waiter('late', fired, onDue);
    wait(timers, early, 15);
    const caller = waiter('caller', fired);
    for (let i = 0; i < 5_000; i++) {
      wait(timers, caller, 60_000); // a call's reply timeout...
      if (i === 2_500) wait(timers, late, 30);
      timers.cancel(caller); // ...answered at once
    }
    await finished;
    expect(fired).toEqual(['early', 'late']);
  });

  it('receive timers - a waiter that waits again is not timed out by its earlier, cancelled entry', async () => {
    const timers = new ReceiveTimers();
    const fired: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const w = waiter('w', fired);
    wait(timers, w, 5);
    timers.cancel(w);
    wait(timers, w, 60_000);
    wait(timers, waiter('probe', fired, done), 40); // long after w's first deadline
    await finished;
    expect(fired).toEqual(['probe']);
    timers.cancel(w);
  });

  it('receive timers - a wait answered in the turn it began never fires; one left waiting does', async () => {
    // Both are only noted until the turn ends (no clock read, no heap entry): the note of the
    // answered one must be dropped, the other must become a timer.
    const timers = new ReceiveTimers();
    const fired: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const answered = waiter('answered', fired);
    const left = waiter('left', fired, done);
    wait(timers, answered, 5);
    wait(timers, left, 20);
    timers.cancel(answered);
    expect(answered.receiveTimer).toBe(0);
    await finished;
    await new Promise((r) => setTimeout(r, 10));
    expect(fired).toEqual(['left']);
    // Noted in a later turn, after the first notes went to the heap: cancelled like a heap entry.
    const again = waiter('again', fired);
    wait(timers, again, 5);
    await Promise.resolve();
    await Promise.resolve();
    timers.cancel(again);
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toEqual(['left']);
  });

  it('receive timers - answered timeouts do not keep the process alive', async () => {
    // Calls and receives with 60 s timeouts, all answered: the process must exit by itself long
    // before (execFile kills it at 20 s, failing the test).
    const script = fileURLToPath(new URL('../fixtures/answered-timeouts.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
      timeout: 20_000,
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    expect(stdout.trim()).toBe('answered 100');
  });
});
