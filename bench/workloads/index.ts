import type { Workload } from '../harness.js';
import { otpWorkloads } from './otp.js';
import { queueWorkloads } from './queue.js';

/** Every workload `npm run bench` knows, in the order they run. */
export const workloads: Workload[] = [...queueWorkloads, ...otpWorkloads];
