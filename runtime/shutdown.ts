/**
 * Stopping every actor of one scheduler, as OTP's init:stop does for a node: top-level actors
 * (spawned from outside any actor) get an exit signal `shutdown`, newest first, so trapping
 * ones (supervisors) stop their children in order; whatever is left after `timeoutMs` is
 * killed, and timers are cancelled. Used by the system on the main thread and by every
 * scheduler thread.
 */
import type { Pid } from './pid.js';
import type { Scheduler } from './scheduler.js';

export async function stopActors(s: Scheduler, systemPid: Pid, timeoutMs: number): Promise<void> {
  const roots = s
    .pids()
    .map((pid) => s.local(pid)!)
    .filter((p) => p.parent === null && p.kind !== 'inbox')
    .reverse();
  const exited = roots.map((p) => s.join(p.self));
  for (const p of roots) s.exitSignal(systemPid, p.self, 'shutdown', false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(exited),
    new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  for (const pid of s.pids()) {
    const p = s.local(pid);
    if (p) s.exitProcess(p, p.kind === 'inbox' ? 'shutdown' : 'killed');
  }
  s.cancelAllTimers();
  await s.offloader.close();
}
