/**
 * Runs the Erlang side of `npm run bench:compare`: compiles bench/erlang/*.erl with erlc into a
 * fresh temporary directory (never into the repo), then runs one `erl -noshell` VM per job with a
 * fixed scheduler count and reads the one JSON line the module prints.
 *
 *   compare.ts -> compileErlang() -> erlc -o /tmp/postbox-erl-XXXX *.erl
 *              -> runErlangJob(job) -> erl +S N:N -noshell -pa DIR -run rX main ARGS RUNS -s init stop
 *                                   <- {"otp":..,"schedulers":N,"rows":[{id,variant,unit,samples}]}
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarise, type ResultRow } from '../harness.js';

const SOURCE_DIR = fileURLToPath(new URL('.', import.meta.url));

/** One VM run: a module, its arguments, and the schedulers it gets (`+S N:N`). */
export interface ErlangJob {
  /** The workload ids this job measures (to run only what was asked for). */
  ids: string[];
  module: string;
  args: string[];
  schedulers: number;
}

/**
 * Every Erlang job of the comparison. Same-thread figures run on one scheduler, like postbox's
 * one thread; cross-thread ones on two (the machine's cores), with the processes bound to
 * different schedulers where postbox pins its actors to different threads (R1, R6, R7).
 */
export const ERLANG_JOBS: ErlangJob[] = [
  { ids: ['R1'], module: 'r1', args: ['same-thread'], schedulers: 1 },
  { ids: ['R1'], module: 'r1', args: ['cross-thread'], schedulers: 2 },
  { ids: ['R3'], module: 'r3', args: ['ring'], schedulers: 1 },
  { ids: ['R3-spawn'], module: 'r3', args: ['spawn'], schedulers: 1 },
  { ids: ['R4'], module: 'r4', args: ['same-thread'], schedulers: 1 },
  { ids: ['R4'], module: 'r4', args: ['cross-thread'], schedulers: 2 },
  { ids: ['R5'], module: 'r5', args: [], schedulers: 1 },
  { ids: ['R6'], module: 'r6', args: [], schedulers: 2 },
  { ids: ['R7'], module: 'r7', args: ['same-thread'], schedulers: 1 },
  { ids: ['R7'], module: 'r7', args: ['cross-thread'], schedulers: 2 },
  { ids: ['R7'], module: 'r7', args: ['cross-thread-pipelined'], schedulers: 2 },
];

/** What one module printed. */
export interface ErlangOutput {
  module: string;
  otp: string;
  erts: string;
  schedulers: number;
  schedulers_online: number;
  rows: { id: string; variant: string; unit: string; samples: number[] }[];
}

/** The `erl` and `erlc` executables on PATH, or undefined when Erlang is not installed. */
export function findErlang(): { erl: string; erlc: string } | undefined {
  const find = (name: string) =>
    (process.env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, name))
      .find((p) => existsSync(p));
  const erl = find('erl');
  const erlc = find('erlc');
  return erl && erlc ? { erl, erlc } : undefined;
}

function run(file: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/** Compiles every module into a new temporary directory; returns it (remove it with `rm`). */
export async function compileErlang(erlc: string): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'postbox-erl-'));
  const sources = (await readdir(SOURCE_DIR)).filter((f) => f.endsWith('.erl')).map((f) => join(SOURCE_DIR, f));
  try {
    await run(erlc, ['-o', out, ...sources], out, 120_000);
  } catch (e) {
    await rm(out, { recursive: true, force: true });
    throw e;
  }
  return out;
}

/** Parses the last JSON line of a module's output. */
export function parseErlangOutput(stdout: string): ErlangOutput {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error(`expected one JSON line from the Erlang module, got: ${JSON.stringify(stdout.slice(0, 500))}`);
  return JSON.parse(line) as ErlangOutput;
}

/** Result rows (median, min, max of the samples) from a module's output; threads = schedulers. */
export function erlangRows(out: ErlangOutput): ResultRow[] {
  return out.rows.map((r) => ({
    id: r.id,
    ...(r.variant ? { variant: r.variant } : {}),
    unit: r.unit,
    threads: out.schedulers,
    baselines: [],
    ...summarise(r.samples),
  }));
}

/** Runs one job (a warm-up and `runs` timed runs inside the VM) in `dir`. */
export async function runErlangJob(erl: string, dir: string, job: ErlangJob, runs: number): Promise<ErlangOutput> {
  const s = `${job.schedulers}:${job.schedulers}`;
  const args = ['+S', s, '-noshell', '-pa', dir, '-run', job.module, 'main', ...job.args, String(runs), '-s', 'init', 'stop'];
  return parseErlangOutput(await run(erl, args, dir, 20 * 60_000));
}
