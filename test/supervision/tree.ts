/**
 * Supervision trees described as plain data, for the stress test: a node is a supervisor with a
 * strategy and children; leaves are GenServer workers or plain actors. `TreeSup` builds a
 * supervisor from a node, so any subtree can be started on any scheduler.
 */
import { Supervisor, type ChildSpec, type RestartType, type Strategy } from '../../actors/index.js';
import { Probe, Worker } from '../actors/fixtures.js';

export type TreeNode =
  | { kind: 'sup'; id: string; strategy: Strategy; intensity: number; restart: RestartType; scheduler?: number; children: TreeNode[] }
  | { kind: 'server' | 'actor'; id: string; restart: RestartType; scheduler?: number };

export function childSpecOf(node: TreeNode): ChildSpec {
  const base = { id: node.id, restart: node.restart, scheduler: node.scheduler };
  if (node.kind === 'sup') return { ...base, start: { supervisor: TreeSup, args: node } };
  if (node.kind === 'server') return { ...base, start: { server: Worker, args: { id: node.id } } };
  return { ...base, start: { actor: Probe, args: [node.id, null] } };
}

export const TreeSup = Supervisor.define(import.meta.url, 'TreeSup', (node: TreeNode & { kind: 'sup' }) => ({
  strategy: node.strategy,
  intensity: node.intensity,
  periodMs: 60_000,
  children: node.children.map(childSpecOf),
}));

/** Small seeded PRNG (mulberry32): the same seed gives the same tree and the same kills. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random tree of about `target` leaves, at most `depth` supervisor levels below the root. */
export function randomTree(rand: () => number, target: number, depth: number, schedulers: number): TreeNode & { kind: 'sup' } {
  const strategies: Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one'];
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const place = () => (schedulers > 0 ? Math.floor(rand() * (schedulers + 1)) : undefined);
  let serial = 0;
  function build(level: number, leaves: number): TreeNode & { kind: 'sup' } {
    const id = `sup${serial++}`;
    const children: TreeNode[] = [];
    let left = leaves;
    while (left > 0) {
      if (level < depth && left > 6 && rand() < 0.5) {
        const share = Math.max(3, Math.floor(left * (0.2 + rand() * 0.4)));
        children.push({ ...build(level + 1, share), restart: 'permanent', scheduler: place() });
        left -= share;
      } else {
        children.push({
          kind: rand() < 0.5 ? 'server' : 'actor',
          id: `w${serial++}`,
          restart: rand() < 0.8 ? 'permanent' : 'transient',
          scheduler: place(),
        });
        left--;
      }
    }
    // Inner supervisors may give up (and are restarted by their parent); the root never does.
    return { kind: 'sup', id, strategy: pick(strategies), intensity: level === 0 ? 1_000_000 : 1 + Math.floor(rand() * 4), restart: 'permanent', children };
  }
  return build(0, target);
}

export function countNodes(node: TreeNode): number {
  return node.kind === 'sup' ? 1 + node.children.reduce((n, c) => n + countNodes(c), 0) : 1;
}
