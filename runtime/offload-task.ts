/** The piscina worker's handler: import the task's module and run its export. See offload.ts. */
import type { OffloadRequest, TaskDefinition } from './offload.js';

export default async function runOffloaded(request: OffloadRequest): Promise<unknown> {
  const mod = (await import(request.module)) as Record<string, unknown>;
  const task = mod[request.name] as TaskDefinition | undefined;
  if (typeof task !== 'object' || task === null || typeof task.fn !== 'function') {
    throw new Error(`no task exported as "${request.name}" from ${request.module}`);
  }
  return task.fn(...request.args);
}
