/**
 * The pure part of `npm run bench:compare` (bench/compare.ts runs the workloads): attaching
 * other runtimes' figures to postbox rows as same-run baselines, the comparison table of
 * docs/benchmarks.md, and the chart specifications for docs/charts/.
 */
import { barChart, lineChart, type BarGroup, type LineSeries } from './charts.js';
import { advantage, type ResultRow } from './harness.js';
import { formatFigure, type MeasuredBaseline, type ResultsFile } from './report.js';

/** The workloads the comparison runs, in the order it reports them. */
export const COMPARED_IDS = ['R1', 'R3', 'R3-spawn', 'R4', 'R5', 'R6', 'R7'];

export const ERLANG = 'erlang';

/**
 * Postbox rows that take their baseline from another variant: the async-function actors of R1
 * do the same work as the generator ones, so they face the same Erlang and nact figures.
 */
export const BASELINE_ALIASES: Record<string, string> = {
  [key('R1', 'same-thread-async')]: key('R1', 'same-thread'),
};

export function key(id: string, variant?: string): string {
  return `${id}\u0000${variant ?? ''}`;
}

/**
 * Returns copies of `rows` where each row with a counterpart in `others` (same id and variant,
 * or its alias) carries it as baseline `name`, replacing an older baseline of that name.
 */
export function attachBaselines(
  rows: ResultRow[],
  others: ResultRow[],
  name: string,
  aliases: Record<string, string> = BASELINE_ALIASES,
): ResultRow[] {
  const byKey = new Map(others.map((o) => [key(o.id, o.variant), o]));
  return rows.map((row) => {
    const k = key(row.id, row.variant);
    const other = byKey.get(k) ?? byKey.get(aliases[k] ?? '');
    if (!other) return row;
    if (other.unit !== row.unit) throw new Error(`${name} ${row.id} ${row.variant ?? ''}: expected unit ${row.unit}, got: ${other.unit}`);
    const baseline: MeasuredBaseline = {
      name,
      value: other.value,
      min: other.min,
      max: other.max,
      runs: other.runs,
      threads: other.threads,
    };
    return { ...row, baselines: [...row.baselines.filter((b) => b.name !== name), baseline] };
  });
}

function baseline(row: ResultRow, name: string): MeasuredBaseline | undefined {
  return row.baselines.find((b) => b.name === name) as MeasuredBaseline | undefined;
}

/** "×1.52" (postbox ahead) or "×0.41" (behind): how many times better postbox is. */
export function ratio(row: ResultRow, b: MeasuredBaseline | undefined): string {
  if (!b) return '—';
  const r = advantage(row, b);
  return r >= 1 ? `**×${r.toFixed(2)}**` : `×${r.toFixed(2)}`;
}

function figure(b: MeasuredBaseline | undefined): string {
  return b ? formatFigure(b.value) : '—';
}

/** The compared rows of a results file, in COMPARED_IDS order. */
export function comparedRows(file: ResultsFile): ResultRow[] {
  return COMPARED_IDS.flatMap((id) => file.results.filter((r) => r.id === id));
}

/** The markdown of the generated comparison section: environment, table, charts. */
export function compareSection(file: ResultsFile, charts: string[]): string {
  const info = file.compare;
  const env = info
    ? `Measured ${info.date} in one run of \`npm run bench:compare\`: Node ${info.node}, ` +
      (info.otp ? `Erlang/OTP ${info.otp} (ERTS ${info.erts}), ` : 'no Erlang/OTP, ') +
      `${info.cpus} CPUs; postbox on ${info.postboxThreads.join(' or ')} thread(s), ` +
      (info.erlangSchedulers?.length ? `Erlang with \`+S ${info.erlangSchedulers.join('` or `+S ')}\` schedulers` : 'Erlang not run') +
      (info.jsActors ? `, ${info.jsActors}` : '') +
      `. Each figure is the median of ${info.runs} timed runs after a warm-up.` +
      (info.load ? ` One-minute load average ${info.load.start} at the start, ${info.load.end} at the end.` : '') +
      (COMPARED_IDS.every((id) => (info.ids ?? COMPARED_IDS).includes(id)) ? '' : ` This run measured ${info.ids.join(', ')}; other rows are from earlier runs.`)
    : 'Not measured yet: run `npm run bench:compare`.';
  const lines = [
    env,
    '',
    '×N = how many times better postbox is than that runtime in the same run (>1, bold: postbox ahead; ' +
      'for µs and bytes, lower is better). Threads: postbox threads / Erlang schedulers.',
    '',
    '| id | variant | unit | postbox | Erlang/OTP | threads | vs Erlang | nact | vs nact | Node baselines (vs) |',
    '|---|---|---|---:|---:|---|---:|---:|---:|---|',
  ];
  for (const r of comparedRows(file)) {
    const erl = baseline(r, ERLANG);
    const nact = baseline(r, 'nact');
    const node = r.baselines
      .filter((b) => b.name !== ERLANG && b.name !== 'nact')
      .map((b) => `${b.name}: ${formatFigure(b.value)} (${ratio(r, b)})`)
      .join('<br>');
    lines.push(
      `| ${r.id} | ${r.variant ?? '—'} | ${r.unit} | ${formatFigure(r.value)} | ${figure(erl)} | ` +
        `${r.threads} / ${erl?.threads ?? '—'} | ${ratio(r, erl)} | ${figure(nact)} | ${ratio(r, nact)} | ${node || '—'} |`,
    );
  }
  if (info?.notes.length) lines.push('', ...info.notes.map((n) => `- ${n}`));
  if (charts.length) lines.push('', ...charts.map((c) => `![${c}](charts/${c})`));
  return lines.join('\n');
}

/** Orders series postbox first, then by name ("postbox ref", "postbox scan", "erlang ref", …). */
function postboxFirst(a: LineSeries, b: LineSeries): number {
  const rank = (s: LineSeries) => (s.name.startsWith('postbox') ? 0 : 1);
  return rank(a) - rank(b) || a.name.localeCompare(b.name);
}

const R6_VARIANT = /^(\d+) MiB (.+)$/;

const RATE_UNITS = new Set(['msgs/s', 'ops/s']);

/** The charts of a results file, by file name (only those it has data for). */
export function compareCharts(file: ResultsFile): Map<string, string> {
  const charts = new Map<string, string>();
  const rows = comparedRows(file);

  const groups: BarGroup[] = rows
    .filter((r) => RATE_UNITS.has(r.unit))
    .map((r) => ({
      label: `${r.id} ${r.variant ?? ''} (${r.unit})`.replace('  ', ' '),
      bars: [{ series: 'postbox', value: r.value }, ...r.baselines.map((b) => ({ series: b.name, value: b.value }))],
    }));
  if (groups.length) {
    charts.set(
      'throughput.svg',
      barChart({ title: 'Throughput per workload: postbox, Erlang/OTP and Node baselines', axis: 'per second, higher is better', groups, scale: 'log' }),
    );
  }

  const r5 = rows.filter((r) => r.id === 'R5' && /^(ref|scan)-K=\d+$/.test(r.variant ?? ''));
  if (r5.length) {
    const series = new Map<string, LineSeries>();
    const add = (name: string, x: number, y: number) => {
      if (!series.has(name)) series.set(name, { name, points: [] });
      series.get(name)!.points.push({ x, y });
    };
    for (const r of r5) {
      const [, mode, k] = /^(ref|scan)-K=(\d+)$/.exec(r.variant!)!;
      add(`postbox ${mode}`, Number(k), r.value);
      const erl = baseline(r, ERLANG);
      if (erl) add(`erlang ${mode}`, Number(k), erl.value);
    }
    charts.set(
      'r5-selective-receive.svg',
      lineChart({
        title: 'R5: request/reply cost against K waiting messages',
        xAxis: 'K unrelated messages in the caller\'s mailbox',
        yAxis: 'µs per request, lower is better',
        series: [...series.values()].sort(postboxFirst),
        yScale: 'log',
      }),
    );
  }

  // R6 rows are "<N> MiB <kind>" (shared binary, plain Uint8Array) beside a "small message" row.
  const r6 = rows.filter((r) => r.id === 'R6' && R6_VARIANT.test(r.variant ?? ''));
  if (r6.length) {
    const series = new Map<string, LineSeries>();
    const add = (name: string, x: number, y: number) => {
      if (!series.has(name)) series.set(name, { name, points: [] });
      const s = series.get(name)!;
      // Baselines repeated on several rows (the codec copy on both kinds) count once per size.
      if (!s.points.some((p) => p.x === x)) s.points.push({ x, y });
    };
    for (const r of r6) {
      const [, mib, kind] = R6_VARIANT.exec(r.variant!)!;
      const x = Number(mib);
      add(kind === 'shared binary' ? 'postbox shared' : `postbox ${kind === 'plain Uint8Array' ? 'heap copy' : kind}`, x, r.value);
      for (const b of r.baselines) add(b.name === 'small message' ? 'small message (postbox)' : b.name, x, b.value);
    }
    charts.set(
      'r6-binary-send.svg',
      lineChart({
        title: 'R6: a binary sent to another thread, time against size',
        xAxis: 'binary size',
        yAxis: 'µs per send, lower is better',
        series: [...series.values()].sort(postboxFirst),
        yScale: 'log',
        xTickLabel: (x) => `${x} MiB`,
      }),
    );
  }
  return charts;
}
