import type { Workload } from '../harness.js';
import { brokerWorkloads } from '../broker/workloads.js';
import { binaryWorkloads } from './binaries.js';
import { codecWorkloads } from './codec.js';
import { otpWorkloads } from './otp.js';
import { queueWorkloads } from './queue.js';
import { runtimeWorkloads } from './runtime.js';
import { threadWorkloads } from './threads.js';

/**
 * Every workload `npm run bench` knows, in the order they run. Several may share an id (the
 * same-thread and cross-thread variants of R1 and R4): `npm run bench -- R1` runs all of them.
 */
export const workloads: Workload[] = [...queueWorkloads, ...codecWorkloads, ...runtimeWorkloads, ...threadWorkloads, ...binaryWorkloads, ...otpWorkloads, ...brokerWorkloads];
