/**
 * The benchmark harness of SPEC.md §4: workloads are measured with tinybench (fixed-size work
 * per iteration, at least 5 timed runs after warm-up) and reported as rows of
 * bench/results/latest.json, each figure beside its baselines measured in the same run.
 */
import { Bench } from 'tinybench';

export interface Baseline {
  name: string;
  value: number;
}

/** One row of bench/results/latest.json. `value` is the median of `runs` runs. */
export interface ResultRow {
  id: string;
  variant?: string;
  unit: string;
  value: number;
  threads: number;
  runs: number;
  min: number;
  max: number;
  baselines: Baseline[];
  /** Free-form remark shown in docs/benchmarks.md (e.g. what a variant means). */
  note?: string;
}

export interface Workload {
  id: string;
  title: string;
  run(): Promise<ResultRow[]>;
}

/** Milliseconds per call of the measured function. */
export interface Timing {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface MeasureOptions {
  /** Timed runs (at least 5 by SPEC.md §4). */
  runs?: number;
  /** Untimed warm-up runs before them. */
  warmup?: number;
}

/** What a measured function may return: the time it wants counted, when setup must be excluded. */
export type Measured = void | { overriddenDuration: number };

/** Default number of timed runs; `BENCH_RUNS` overrides it (never below 5). */
export const DEFAULT_RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));

/**
 * Times `fn` with tinybench: `warmup` untimed calls, then `runs` timed ones. Each call should do
 * a fixed amount of work (e.g. 1,000,000 messages); convert with `perSecond` or `perUnit`.
 */
export async function measure(
  name: string,
  fn: () => Measured | Promise<Measured>,
  options: MeasureOptions = {},
): Promise<Timing> {
  const runs = Math.max(options.runs ?? DEFAULT_RUNS, 1);
  const bench = new Bench({
    name,
    iterations: runs,
    time: 0,
    warmup: (options.warmup ?? 1) > 0,
    warmupIterations: options.warmup ?? 1,
    warmupTime: 0,
    retainSamples: true,
    throws: true,
  });
  bench.add(name, fn);
  await bench.run();
  const task = bench.getTask(name);
  const latency = task?.result && 'latency' in task.result ? task.result.latency : undefined;
  if (!latency) throw new Error(`benchmark ${name} produced no result (${task?.result.state ?? 'missing'})`);
  return { median: latency.p50, min: latency.min, max: latency.max, runs: latency.samplesCount };
}

/** A rate (count per second) from a timing of `count` operations per call. */
export function perSecond(count: number, t: Timing): Pick<ResultRow, 'value' | 'min' | 'max' | 'runs'> {
  return {
    value: (count * 1000) / t.median,
    min: (count * 1000) / t.max,
    max: (count * 1000) / t.min,
    runs: t.runs,
  };
}

/** Microseconds per operation from a timing of `count` operations per call. */
export function microsEach(count: number, t: Timing): Pick<ResultRow, 'value' | 'min' | 'max' | 'runs'> {
  return {
    value: (t.median * 1000) / count,
    min: (t.min * 1000) / count,
    max: (t.max * 1000) / count,
    runs: t.runs,
  };
}

/** Median, min and max of plain samples (for workloads that collect their own, like latencies). */
export function summarise(samples: number[]): { value: number; min: number; max: number; runs: number } {
  if (samples.length === 0) throw new Error('summarise: expected at least one sample, got none');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const value = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { value, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** The p-th percentile (0..100) of samples, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Units where a smaller figure is better; ratios against baselines are inverted for them. */
const LOWER_IS_BETTER = new Set(['us', 'ns', 'ms', 'bytes']);

/** How many times better `row` is than `baseline` (>1: postbox ahead). */
export function advantage(row: ResultRow, baseline: Baseline): number {
  return LOWER_IS_BETTER.has(row.unit) ? baseline.value / row.value : row.value / baseline.value;
}
