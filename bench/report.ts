/**
 * Writes the results of a bench run: bench/results/latest.json (SPEC.md §4 shape; rows of
 * workloads not run this time are kept from the previous file) and the table in
 * docs/benchmarks.md between the generated-table markers.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { advantage, type ResultRow } from './harness.js';

export interface ResultsFile {
  node: string;
  cpus: number;
  date: string;
  results: ResultRow[];
}

const BEGIN = '<!-- bench:table:begin -->';
const END = '<!-- bench:table:end -->';

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

export function writeResults(path: string, fresh: ResultRow[]): ResultsFile {
  const previous = readResults(path)?.results ?? [];
  const file: ResultsFile = {
    node: process.version,
    cpus: availableParallelism(),
    date: new Date().toISOString(),
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
  const table = `${BEGIN}\n${markdownTable(file)}\n${END}`;
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n\n' + table + '\n';
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start >= 0 && end > start) doc = doc.slice(0, start) + table + doc.slice(end + END.length);
  else if (!doc.includes(table)) doc += '\n' + table + '\n';
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, doc);
}
