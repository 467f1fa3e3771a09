/**
 * `npm run bench:compare [-- ID …]`: in one run, the runtime workloads (R1, R3, R3-spawn, R4,
 * R5, R6 when registered, R7) on postbox, then the same work on nact (R1, R3, R4 same-thread)
 * and on Erlang/OTP (bench/erlang/*.erl, when `erl` is installed). Writes the other runtimes'
 * figures as baselines of the postbox rows into bench/results/latest.json, the tables into
 * docs/benchmarks.md and the charts into docs/charts/.
 *
 *   postbox workloads (this process) -> nact (this process) -> erl VMs (child processes, one per job)
 *        \____________________ attachBaselines ___________________/
 *                                    -> latest.json, docs/benchmarks.md, docs/charts/*.svg
 *
 * `npm run bench:compare -- --render-only` redraws the docs and charts from latest.json.
 */
import { rm, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { COMPARED_IDS, ERLANG, attachBaselines, compareCharts, compareSection } from './comparison.js';
import { compileErlang, ERLANG_JOBS, erlangRows, findErlang, runErlangJob } from './erlang/runner.js';
import { DEFAULT_RUNS, type ResultRow } from './harness.js';
import { formatFigure, readResults, writeMarkdown, writeMarkdownSection, writeResults, type CompareInfo, type ResultsFile } from './report.js';
import { NACT_NAME, nactFanIn, nactPingPong, nactRing } from './workloads/js-actors.js';
import { workloads } from './workloads/index.js';

const root = (rel: string) => fileURLToPath(new URL(`../${rel}`, import.meta.url));

function show(prefix: string, rows: ResultRow[]): void {
  for (const r of rows) {
    console.log(`  ${prefix} ${r.id} ${r.variant ?? '-'}: ${formatFigure(r.value)} ${r.unit} (threads ${r.threads}; min ${formatFigure(r.min)}, max ${formatFigure(r.max)})`);
  }
}

async function runPostbox(ids: string[], notes: string[]): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (const id of ids) {
    const selected = workloads.filter((w) => w.id === id);
    if (selected.length === 0) {
      notes.push(`${id}: no postbox workload with this id is registered in bench/workloads/index.ts; skipped.`);
      console.log(`# ${id}: not registered, skipped`);
      continue;
    }
    for (const w of selected) {
      console.log(`# postbox ${w.id}: ${w.title}`);
      const got = await w.run();
      show('postbox', got);
      rows.push(...got);
    }
  }
  return rows;
}

async function runNact(ids: string[]): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (const [id, run] of [['R1', nactPingPong], ['R3', nactRing], ['R4', nactFanIn]] as const) {
    if (!ids.includes(id)) continue;
    console.log(`# nact ${id}`);
    const row = await run();
    show('nact', [row]);
    rows.push(row);
  }
  return rows;
}

interface ErlangResult {
  rows: ResultRow[];
  otp?: string;
  erts?: string;
  schedulers: number[];
}

async function runErlang(ids: string[], notes: string[]): Promise<ErlangResult> {
  const erlang = findErlang();
  if (!erlang) {
    const msg = 'erl/erlc not found on PATH: the Erlang/OTP baselines are skipped (`npm run bench:setup` installs Erlang).';
    console.warn(`# ${msg}`);
    notes.push(msg);
    return { rows: [], schedulers: [] };
  }
  const dir = await compileErlang(erlang.erlc);
  const result: ErlangResult = { rows: [], schedulers: [] };
  try {
    for (const job of ERLANG_JOBS.filter((j) => j.ids.some((id) => ids.includes(id)))) {
      console.log(`# erlang ${job.module} ${job.args.join(' ')} (+S ${job.schedulers})`);
      const out = await runErlangJob(erlang.erl, dir, job, DEFAULT_RUNS);
      const rows = erlangRows(out);
      show('erlang', rows);
      result.rows.push(...rows);
      result.otp = out.otp;
      result.erts = out.erts;
      if (!result.schedulers.includes(out.schedulers)) result.schedulers.push(out.schedulers);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}

function nactVersion(): string | undefined {
  try {
    return (createRequire(import.meta.url)('nact/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** Writes docs/charts/*.svg and the comparison section of docs/benchmarks.md from `file`. */
async function render(file: ResultsFile): Promise<string> {
  const doc = root('docs/benchmarks.md');
  writeMarkdown(doc, file);
  const charts = compareCharts(file);
  await mkdir(root('docs/charts'), { recursive: true });
  for (const [name, svg] of charts) await writeFile(root(`docs/charts/${name}`), svg);
  const section = compareSection(file, [...charts.keys()]);
  writeMarkdownSection(doc, 'compare', section);
  return section;
}

async function main(): Promise<void> {
  if (process.argv.includes('--render-only')) {
    // Re-draws the docs and charts from the last results without measuring anything.
    const file = readResults(root('bench/results/latest.json'));
    if (!file) throw new Error('--render-only: expected bench/results/latest.json, got: no file (run bench:compare first)');
    console.log(await render(file));
    return;
  }
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((id) => !COMPARED_IDS.includes(id));
  if (unknown.length > 0) {
    console.error(`unknown or uncompared workload id(s): ${unknown.join(', ')}; compared: ${COMPARED_IDS.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const ids = wanted.length ? COMPARED_IDS.filter((id) => wanted.includes(id)) : COMPARED_IDS;
  const notes: string[] = [];

  let rows = await runPostbox(ids, notes);
  const nact = await runNact(ids);
  // Erlang runs only what postbox ran: a figure with nothing to compare against is left out.
  const ran = new Set(rows.map((r) => r.id));
  const erlang = await runErlang(ids.filter((id) => ran.has(id)), notes);
  rows = attachBaselines(rows, erlang.rows, ERLANG);
  rows = attachBaselines(rows, nact, NACT_NAME);

  const version = nactVersion();
  const info: CompareInfo = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    ...(erlang.otp ? { otp: erlang.otp, erts: erlang.erts, erlangSchedulers: erlang.schedulers.sort((a, b) => a - b) } : {}),
    postboxThreads: [...new Set(rows.map((r) => r.threads))].sort((a, b) => a - b),
    ...(version ? { jsActors: `${NACT_NAME} ${version}` } : {}),
    runs: DEFAULT_RUNS,
    ids: [...ran],
    notes,
  };
  const file = writeResults(root('bench/results/latest.json'), rows, info);
  console.log('\n' + (await render(file)));
}

await main();
