import type { Workload } from '../harness.js';
import { codecWorkloads } from './codec.js';
import { queueWorkloads } from './queue.js';

/** Every workload `npm run bench` knows, in the order they run. */
export const workloads: Workload[] = [...queueWorkloads, ...codecWorkloads];
