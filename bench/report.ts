/**
 * Writes the results of a bench run: bench/results/latest.json (SPEC.md §4 shape; rows of
 * workloads not run this time are kept from the previous file) and the table in
 * docs/benchmarks.md between the generated-table markers. `npm run bench:compare` adds its
 * own generated section (between the compare markers) and the environment of its run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { advantage, type Baseline, type ResultRow } from './harness.js';

/** A baseline measured in the same run by another runtime, with its own spread and threads. */
export interface MeasuredBaseline extends Baseline {
  min?: number;
  max?: number;
  runs?: number;
  /** Threads (Node) or schedulers (Erlang, `+S N`) it ran on. */
  threads?: number;
}

/** The environment of the last `npm run bench:compare` run. */
export interface CompareInfo {
  date: string;
  node: string;
  cpus: number;
  /** OTP release and ERTS version of `erl`, absent when Erlang was not installed. */
  otp?: string;
  erts?: string;
  /** Scheduler counts (`+S N:N`) the Erlang VMs ran with. */
  erlangSchedulers?: number[];
  /** Thread counts the postbox rows ran on. */
  postboxThreads: number[];
  /** The JavaScript actor library and its version, e.g. "nact 7.6.2". */
  jsActors?: string;
  /** Timed runs per figure (after a warm-up). */
  runs: number;
  /** One-minute load average at the start and the end of the run (a shared machine's noise). */
  load?: { start: number; end: number };
  /** The workload ids this run measured (other compared rows come from earlier runs). */
  ids: string[];
  /** What was skipped and why. */
  notes: string[];
}

export interface ResultsFile {
  node: string;
  cpus: number;
  date: string;
  /** Set by `npm run bench:compare`; kept by later runs of `npm run bench`. */
  compare?: CompareInfo;
  results: ResultRow[];
}

const marker = (section: string, end: 'begin' | 'end') => `<!-- bench:${section}:${end} -->`;
const BEGIN = marker('table', 'begin');
const END = marker('table', 'end');

function rowKey(row: ResultRow): string {
  return `${row.id}\u0000${row.variant ?? ''}`;
}

/** Merges the new rows over the previous file's: a workload run now replaces all its old rows. */
export function mergeResults(previous: ResultRow[], fresh: ResultRow[]): ResultRow[] {
  const rerun = new Set(fresh.map((r) => r.id));
  const kept = previous.filter((r) => !rerun.has(r.id));
  const byKey = new Map<string, ResultRow>();
  for (const r of [...kept, ...fresh]) byKey.set(rowKey(r), r);
  return [...byKey.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

export function readResults(path: string): ResultsFile | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as ResultsFile;
}

export function writeResults(path: string, fresh: ResultRow[], compare?: CompareInfo): ResultsFile {
  const before = readResults(path);
  const previous = before?.results ?? [];
  const kept = compare ?? before?.compare;
  const file: ResultsFile = {
    node: process.version,
    cpus: availableParallelism(),
    date: new Date().toISOString(),
    ...(kept ? { compare: kept } : {}),
    results: mergeResults(previous, fresh),
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n');
  return file;
}

/** Formats a figure with 3 significant digits and thousands separators. */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}

function baselineCell(row: ResultRow): string {
  if (row.baselines.length === 0) return '';
  return row.baselines
    .map((b) => `${b.name}: ${formatFigure(b.value)} (postbox ×${advantage(row, b).toFixed(2)})`)
    .join('<br>');
}

/** The markdown table of every row: each figure beside its same-run baselines as a ratio. */
export function markdownTable(file: ResultsFile): string {
  const lines = [
    `Measured ${file.date} on Node ${file.node}, ${file.cpus} CPUs. Value = median of the runs; ` +
      `×N = how many times better than the baseline measured in the same run (>1: postbox ahead).`,
    '',
    '| id | variant | value | unit | threads | runs | min | max | baselines (same run) |',
    '|---|---|---:|---|---:|---:|---:|---:|---|',
  ];
  for (const r of file.results) {
    lines.push(
      `| ${r.id} | ${r.variant ?? '—'} | ${formatFigure(r.value)} | ${r.unit} | ${r.threads} | ${r.runs} | ` +
        `${formatFigure(r.min)} | ${formatFigure(r.max)} | ${baselineCell(r)} |`,
    );
  }
  return lines.join('\n');
}

/** Replaces the generated table in docs/benchmarks.md, creating the file if needed. */
export function writeMarkdown(path: string, file: ResultsFile): void {
  writeMarkdownSection(path, 'table', markdownTable(file));
}

/**
 * Puts `body` between the `<!-- bench:NAME:begin -->` and `end` markers of the document at
 * `path` (appending both when absent, creating the file if needed); text outside is untouched.
 */
export function writeMarkdownSection(path: string, section: string, body: string): void {
  const begin = marker(section, 'begin');
  const end = marker(section, 'end');
  const block = `${begin}\n${body}\n${end}`;
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n\n' + block + '\n';
  const at = doc.indexOf(begin);
  const until = doc.indexOf(end);
  if (at >= 0 && until > at) doc = doc.slice(0, at) + block + doc.slice(until + end.length);
  else if (!doc.includes(block)) doc += '\n' + block + '\n';
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, doc);
}
