/**
 * `npm run bench:compare [-- ID …]`: in one run, the runtime workloads (R1, R3, R3-spawn, R4,
 * R5, R6 when registered, R7), each on postbox, then the same work on nact (R1, R3, R4
 * same-thread) and on Erlang/OTP (bench/erlang/*.erl, when `erl` is installed). Writes the other runtimes'
 * figures as baselines of the postbox rows into bench/results/latest.json, the tables into
 * docs/benchmarks.md and the charts into docs/charts/.
 *
 *   for each id: postbox workload (this process) -> nact (this process) -> erl VM(s) (child processes)
 *        \____________________ attachBaselines ___________________/
 *                                    -> latest.json, docs/benchmarks.md, docs/charts/*.svg
 *
 * `npm run bench:compare -- --render-only` redraws the docs and charts from latest.json.
 */
import { rm, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
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

/** The postbox workloads registered under `id` (R1 and R4 have same- and cross-thread ones). */
async function runPostbox(id: string, notes: string[]): Promise<ResultRow[]> {
  const selected = workloads.filter((w) => w.id === id);
  if (selected.length === 0) {
    notes.push(`${id}: no postbox workload with this id is registered in bench/workloads/index.ts; skipped.`);
    console.log(`# ${id}: not registered, skipped`);
  }
  const rows: ResultRow[] = [];
  for (const w of selected) {
    console.log(`# postbox ${w.id}: ${w.title}`);
    const got = await w.run();
    show('postbox', got);
    rows.push(...got);
  }
  return rows;
}

const NACT_RUNS: Record<string, () => Promise<ResultRow>> = { R1: nactPingPong, R3: nactRing, R4: nactFanIn };

async function runNact(id: string): Promise<ResultRow[]> {
  const run = NACT_RUNS[id];
  if (!run) return [];
  console.log(`# nact ${id}`);
  const row = await run();
  show('nact', [row]);
  return [row];
}

/** The Erlang side: compiled once, then run job by job; collects rows, versions, schedulers. */
class ErlangSide {
  readonly rows: ResultRow[] = [];
  readonly schedulers: number[] = [];
  otp?: string;
  erts?: string;

  private constructor(
    private readonly erl: string,
    private readonly dir: string,
  ) {}

  /** Compiles bench/erlang/ into a temporary directory, or undefined (with a note) without Erlang. */
  static async open(notes: string[]): Promise<ErlangSide | undefined> {
    const erlang = findErlang();
    if (!erlang) {
      const msg = 'erl/erlc not found on PATH: the Erlang/OTP baselines are skipped (`npm run bench:setup` installs Erlang).';
      console.warn(`# ${msg}`);
      notes.push(msg);
      return undefined;
    }
    return new ErlangSide(erlang.erl, await compileErlang(erlang.erlc));
  }

  async run(id: string): Promise<void> {
    for (const job of ERLANG_JOBS.filter((j) => j.ids.includes(id))) {
      console.log(`# erlang ${job.module} ${job.args.join(' ')} (+S ${job.schedulers})`);
      const out = await runErlangJob(this.erl, this.dir, job, DEFAULT_RUNS);
      const rows = erlangRows(out);
      show('erlang', rows);
      this.rows.push(...rows);
      this.otp = out.otp;
      this.erts = out.erts;
      if (!this.schedulers.includes(out.schedulers)) this.schedulers.push(out.schedulers);
    }
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
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
  const loadAtStart = loadavg()[0]!;

  // Workload by workload, each runtime in turn: the figures set against each other are measured
  // minutes apart at most, so a shared machine's load drifts less between them.
  let rows: ResultRow[] = [];
  const nact: ResultRow[] = [];
  const erlang = await ErlangSide.open(notes);
  try {
    for (const id of ids) {
      const mine = await runPostbox(id, notes);
      rows.push(...mine);
      // A figure with nothing to compare it against is left out.
      if (mine.length === 0) continue;
      nact.push(...(await runNact(id)));
      await erlang?.run(id);
    }
  } finally {
    await erlang?.close();
  }
  rows = attachBaselines(rows, erlang?.rows ?? [], ERLANG);
  rows = attachBaselines(rows, nact, NACT_NAME);
  const ran = new Set(rows.map((r) => r.id));

  const version = nactVersion();
  const info: CompareInfo = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    ...(erlang?.otp ? { otp: erlang.otp, erts: erlang.erts, erlangSchedulers: [...erlang.schedulers].sort((a, b) => a - b) } : {}),
    postboxThreads: [...new Set(rows.map((r) => r.threads))].sort((a, b) => a - b),
    ...(version ? { jsActors: `${NACT_NAME} ${version}` } : {}),
    runs: DEFAULT_RUNS,
    load: { start: Number(loadAtStart.toFixed(2)), end: Number(loadavg()[0]!.toFixed(2)) },
    ids: [...ran],
    notes,
  };
  const file = writeResults(root('bench/results/latest.json'), rows, info);
  console.log('\n' + (await render(file)));
}

await main();
