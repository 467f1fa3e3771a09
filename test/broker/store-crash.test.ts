/**
 * lmdb durability under SIGKILL: a child publishes (or publishes, claims and acks) and is
 * killed mid-stream; the reopened store must hold every message whose publish had resolved,
 * and nothing it did not try, and must not hand out again a delivery whose ack had resolved
 * (acks are answered once committed: a process crash does not undo them).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type MessageStore } from '../../broker/store/index.js';
import { tempDir, text } from './store-support.js';

const writer = fileURLToPath(new URL('./fixtures/store-writer.ts', import.meta.url));
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('store lmdb - crash', () => {
  it('store lmdb - every publish that resolved before SIGKILL is there after reopening', async () => {
    // Kill once 2,000 publishes were acknowledged: far enough in that many commits are
    // in progress at the moment of the kill.
    const { dir, acked } = await runWriterUntilKilled([], 'ack ', 2000);

    const store: MessageStore = openStore({ backend: 'lmdb', path: dir });
    cleanups.push(() => store.close());
    const found = new Map<string, string>();
    for (let round = 0; round < 1000; round++) {
      const leases = await store.claimDue({ lane: { kind: 'subscription', subscriptionId: 'puller' }, now: Date.UTC(2026, 0, 1), max: 1000 });
      if (leases.length === 0) break;
      for (const l of leases) found.set(l.message.id, text(l.message.payload));
    }
    const missing = [...acked].filter((id) => !found.has(id));
    expect(missing).toEqual([]);
    // Nothing invented: every stored message is one the writer tried, intact.
    for (const [id, payload] of found) {
      expect(id).toMatch(/^c-\d+$/);
      expect(payload).toBe(`payload of ${id}`);
    }
    const stats = await store.topicStats('crash');
    expect(stats!.published).toBe(found.size);
    expect(found.size).toBeGreaterThanOrEqual(acked.size);
  });

  it('store lmdb - no delivery whose ack resolved before SIGKILL is handed out again after reopening', async () => {
    const { dir, acked } = await runWriterUntilKilled(['acks'], 'acked ', 1000);

    const store: MessageStore = openStore({ backend: 'lmdb', path: dir });
    cleanups.push(() => store.close());
    // An hour later (within the messages' day of TTL) every 30 s lease has passed its
    // deadline: whatever is not acked comes back.
    const later = Date.UTC(2026, 0, 1, 1);
    const handedOut: string[] = [];
    for (let round = 0; round < 1000; round++) {
      const leases = await store.claimDue({ lane: { kind: 'subscription', subscriptionId: 'puller' }, now: later, max: 1000 });
      if (leases.length === 0) break;
      handedOut.push(...leases.map((l) => l.message.id));
    }
    expect(handedOut.filter((id) => acked.has(id))).toEqual([]);
    // Each unanswered lease comes back once, however the kill fell between a claim and its
    // ack (the cursor and the leases are written in the same transaction).
    expect(new Set(handedOut).size).toBe(handedOut.length);
    const delivered = (await store.subscriptionStats('puller'))!.delivered;
    expect(delivered).toBeGreaterThanOrEqual(acked.size);
    // Every published message is either acknowledged or handed out again: none lost.
    expect(delivered + handedOut.length).toBe((await store.topicStats('crash'))!.published);
  });
});

/**
 * Runs store-writer.ts on a fresh data directory and SIGKILLs it once it has printed `count`
 * lines starting with `prefix`; answers the ids those lines named (including lines that reached
 * the pipe just before the kill).
 */
async function runWriterUntilKilled(args: string[], prefix: string, count: number): Promise<{ dir: string; acked: Set<string> }> {
  const dir = tempDir();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', writer, dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const acked = new Set<string>();
  let buffered = '';
  const take = (lines: string[]) => {
    for (const line of lines) if (line.startsWith(prefix)) acked.add(line.slice(prefix.length));
  };
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`writer acknowledged ${acked.size} in 20 s; stderr: ${stderr}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      take(lines);
      if (acked.size >= count) {
        clearTimeout(deadline);
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`writer exited early; stderr: ${stderr}`)));
  });
  const how = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
  expect(how).toBe('SIGKILL');
  take(buffered.split('\n'));
  return { dir, acked };
}
