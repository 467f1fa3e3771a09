/**
 * Test helpers: waits with deadlines (nothing hangs). `assertReceive` rejects with what *was*
 * in the mailbox, so a failing test says what arrived instead of timing out silently.
 */
import type { Inbox, Match } from '../../runtime/index.js';
import { TIMEOUT } from '../../runtime/index.js';

export async function assertReceive<T = any>(inbox: Inbox, match?: Match, ms = 2_000): Promise<T> {
  const got = await inbox.receive<T>(match, ms);
  if (got === TIMEOUT) {
    const info = inbox.info();
    throw new Error(
      `assertReceive: nothing matched within ${ms} ms; mailbox had ${info?.messageQueueLength ?? 0} message(s): ` +
        JSON.stringify(snapshotOf(inbox)),
    );
  }
  return got as T;
}

/** Asserts that nothing matching arrives within `ms`. */
export async function refuteReceive(inbox: Inbox, match?: Match, ms = 50): Promise<void> {
  const got = await inbox.receive(match, ms);
  if (got !== TIMEOUT) throw new Error(`refuteReceive: unexpected message ${JSON.stringify(got)}`);
}

/** Drains everything currently in the mailbox (polling receive), oldest first. */
export async function flush(inbox: Inbox): Promise<unknown[]> {
  const out: unknown[] = [];
  for (;;) {
    const m = await inbox.receive(undefined, 0);
    if (m === TIMEOUT) return out;
    out.push(m);
  }
}

function snapshotOf(inbox: Inbox): unknown[] {
  const mailbox = (inbox as unknown as { mailbox?: { snapshot(): unknown[] } }).mailbox;
  return mailbox ? mailbox.snapshot() : [];
}

/** Resolves when `cond()` is (or resolves to) true, polling; rejects after `ms` with `what`. */
export async function eventually(cond: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`eventually: ${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
