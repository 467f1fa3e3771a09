/** Helpers of the supervision suites: starting trees, reading children, capturing reports. */
import pino, { type Logger } from 'pino';
import type { ActorSystem, Pid } from '../../runtime/index.js';
import { Supervisor, type ChildInfo, type ServerRef, type SupervisorModule, type SupervisorSpec } from '../../actors/index.js';

/** Starts a top-level supervisor or throws with the reason. */
export async function startSupervisor(system: ActorSystem, sup: SupervisorSpec | SupervisorModule, args?: unknown): Promise<Pid> {
  const r = await Supervisor.start(system, sup, args);
  if (!r.ok) throw new Error(`supervisor did not start: ${JSON.stringify(r.error)}`);
  return r.pid;
}

/** The children of `sup` by id (dynamic ones share an id: use whichChildren for those). */
export async function children(system: ActorSystem, sup: ServerRef): Promise<Map<string, ChildInfo>> {
  const list = await Supervisor.whichChildren(system, sup, 2_000);
  return new Map(list.map((c) => [c.id, c]));
}

export async function childPid(system: ActorSystem, sup: ServerRef, id: string): Promise<Pid> {
  const c = (await children(system, sup)).get(id);
  if (c?.pid === undefined) throw new Error(`child ${id} is not running`);
  return c.pid;
}

/** Kills `pid` (or makes it exit with `reason` through `trigger`) and waits until it has exited. */
export async function exitAndWait(system: ActorSystem, pid: Pid, trigger: () => void): Promise<unknown> {
  const exited = system.join(pid);
  trigger();
  return exited;
}

export interface CapturedLog {
  logger: Logger;
  lines: Record<string, any>[];
  reports(kind: string): Record<string, any>[];
}

/** A pino logger at `info` whose lines are kept, parsed. */
export function captureLog(): CapturedLog {
  const lines: Record<string, any>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines, reports: (kind) => lines.filter((l) => l.report === kind) };
}
