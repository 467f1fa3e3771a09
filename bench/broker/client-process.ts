/**
 * Where the load generator runs. `inProcess` runs jobs on the bench's own event loop, the one
 * the broker's HTTP frontend also runs on; `childProcess` forks a Node process (this file is
 * its entry) so client CPU and GC stay off the broker's main thread. BENCH_BROKER_CLIENT=inproc
 * picks the first; the child is the default: it keeps the broker's profile clean, and a bare
 * fastify route served 3.7–4.1k req/s to it against 3.5k/s to an in-process client here.
 *
 *   bench process ──fork──► child: runJob(target, job) ──HTTP──► broker (bench process)
 *                 ◄─────── {result} | {error}  (IPC)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runJob, type Job, type JobResult, type Target } from './jobs.js';

export interface LoadClient {
  readonly where: 'in-process' | 'child-process';
  run<R extends JobResult>(job: Job): Promise<R>;
  close(): Promise<void>;
}

export function loadClient(target: Target): LoadClient {
  return process.env.BENCH_BROKER_CLIENT === 'inproc' ? inProcess(target) : childProcess(target);
}

function inProcess(target: Target): LoadClient {
  return { where: 'in-process', run: (job) => runJob(target, job) as Promise<any>, close: async () => {} };
}

type Reply = { result: JobResult } | { error: string };

function childProcess(target: Target): LoadClient {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], {
    execArgv: ['--conditions=source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    where: 'child-process',
    run: (job) =>
      new Promise((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`the load client exited (code ${code}) during job ${job.kind}`));
        child.once('exit', onExit);
        child.once('message', (reply: Reply) => {
          child.off('exit', onExit);
          if ('error' in reply) reject(new Error(`load client: ${reply.error}`));
          else resolve(reply.result as any);
        });
        child.send({ target, job });
      }),
    close: async () => {
      child.disconnect();
      await exited;
    },
  };
}

// The child's side: run each job it is sent, answer with its result, exit when disconnected.
if (process.argv.includes('--child') && process.send) {
  process.on('message', (msg: { target: Target; job: Job }) => {
    const cpu0 = process.cpuUsage();
    runJob(msg.target, msg.job).then(
      (result) => {
        const cpu = process.cpuUsage(cpu0);
        process.send!({ result: { ...result, clientCpuMs: (cpu.user + cpu.system) / 1000 } } satisfies Reply);
      },
      (error: unknown) => process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies Reply),
    );
  });
}
